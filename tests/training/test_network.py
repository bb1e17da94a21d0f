"""The network facts of a multi-host job: interface addresses, names, the shared Ray token."""

import dataclasses
import json

import pytest

from training.cluster.network import address_of, cluster_token, interface_address
from training.contract.environment import read_environment
from training.errors import JobError


def _env(tmp_path, host, job="job-1", **hyperparameters):
    config = tmp_path / host / "input" / "config"
    config.mkdir(parents=True)
    resources = {"current_host": host, "hosts": ["algo-1", "algo-2"], "network_interface_name": "lo"}
    (config / "resourceconfig.json").write_text(json.dumps(resources))
    (config / "hyperparameters.json").write_text(json.dumps({"storage-path": "s3://b/p", **hyperparameters}))
    return read_environment([], {"SM_BASE_DIR": str(tmp_path / host), "TRAINING_JOB_NAME": job})


def test_every_host_of_a_job_derives_the_same_token_and_another_job_another(tmp_path):
    leader, worker = _env(tmp_path, "algo-1"), _env(tmp_path, "algo-2")
    assert cluster_token(leader) == cluster_token(worker)
    assert len(cluster_token(leader)) == 64
    assert cluster_token(dataclasses.replace(leader, job_identity="job-2")) != cluster_token(leader)
    assert cluster_token(dataclasses.replace(leader, hosts=("algo-1", "algo-3"))) != cluster_token(leader)


def test_an_interface_gives_its_address_and_a_missing_one_one_sentence():
    assert interface_address("lo") == "127.0.0.1"
    with pytest.raises(JobError, match=r"^network interface 'nope0' from resourceconfig.json has no IPv4 address"):
        interface_address("nope0")


def test_names_resolve_or_give_none():
    assert address_of("localhost") == "127.0.0.1"
    assert address_of("algo-99.invalid") is None
