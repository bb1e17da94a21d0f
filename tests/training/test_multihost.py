"""A job on several hosts is one Ray cluster: train and tune use every host, and hosts leave together.

The hosts are simulated as tools/simulated_hosts.py describes (network namespaces, own
hostname, own /opt/ml and /tmp); each runs `python -m training.entrypoint train` on the SageMaker
contract alone. One set of hosts serves the module; it is removed even when a test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
from ray._private.ray_constants import DEFAULT_DASHBOARD_PORT

from tests.support import free_port
from tests.training.mlflow_server import runs_of, start_server
from tests.training.multihost_jobs import (
    CPUS_PER_HOST,
    RECORD,
    finish,
    log,
    nothing_left,
    ray_logs,
    recorded_last_lines,
    recorded_nodes,
    start,
    wait_for_leader,
)
from tools.simulated_hosts import (
    BUCKET,
    SUBNET,
    SimulatedHosts,
    aws_settings,
    lay_out_job,
    simulated_hosts,
)
from training.cluster.network import job_token
from training.contract.hyperparameters import Hyperparameters
from training.programs.mnist import FILES, load_channel, write_idx

QUICK = {"batch-size": "32", "log-interval": "5", "epochs": "1", "hosts-timeout": "300"}
HOSTS_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def hosts(require_tool, tmp_path_factory) -> Iterator[SimulatedHosts]:
    """Three hosts (algo-3 only for the host that never arrives) and an S3 server."""
    if os.geteuid() != 0:
        message = "simulated hosts need root (network namespaces, mounts)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    require_tool("ip")
    require_tool("unshare")
    with simulated_hosts(3, tmp_path_factory.mktemp("hosts")) as simulated:
        yield simulated


@pytest.fixture(scope="module")
def small_digits(tmp_path_factory, digits) -> dict[str, Path]:
    """A few hundred digits: these tests prove where things run, not how well they learn."""
    folder = tmp_path_factory.mktemp("small")
    channels = {}
    for split, size in (("training", 256), ("testing", 128)):
        data = load_channel(digits[split], split)
        channels[split] = folder / split
        channels[split].mkdir()
        images, labels = FILES[split]
        write_idx(channels[split] / f"{images}.gz", data.images[:size])
        write_idx(channels[split] / f"{labels}.gz", np.asarray(data.labels[:size]))
    return channels


@pytest.fixture(scope="module")
def tracking(hosts, tmp_path_factory) -> Iterator[str]:
    """A real MLflow server on the bridge's own address, which every simulated host reaches."""
    port = free_port()
    with start_server(tmp_path_factory.mktemp("mlflow"), port, host=f"{SUBNET}.1"):
        yield f"http://{SUBNET}.1:{port}"


def test_train_on_two_hosts_runs_workers_on_both_and_writes_the_model_on_the_leader(
    hosts, small_digits, tmp_path, tracking
):
    members = ["algo-1", "algo-2"]
    storage = f"s3://{BUCKET}/{tmp_path.name}"
    mlflow = {"MLFLOW_TRACKING_URI": tracking, "MLFLOW_EXPERIMENT_NAME": "two-hosts"}  # every host gets them
    processes = start(hosts, tmp_path, members, members, {**QUICK, "storage-path": storage}, small_digits, mlflow)

    codes = finish(processes, 420)

    assert codes == {"algo-1": 0, "algo-2": 0}, log(tmp_path, "algo-1")[-3000:] + log(tmp_path, "algo-2")[-2000:]
    assert (tmp_path / "algo-1" / "opt_ml" / "model" / "model.pth").is_file()
    assert not (tmp_path / "algo-2" / "opt_ml" / "model" / "model.pth").exists()
    leader = log(tmp_path, "algo-1")
    assert "on 2 host(s) with 2 CPU(s): 2 worker(s) x 1 CPU(s)" in leader and "all 2 hosts joined" in leader
    for host in members:
        assert ":actor_name:RayTrainWorker" in ray_logs(tmp_path, host), f"no Ray Train worker ran on {host}"
    assert "leaves: the leader's program has ended" in log(tmp_path, "algo-2")
    assert recorded_nodes(tmp_path) == {"algo-1": "ALIVE", "algo-2": "ALIVE"}  # recorded before the release
    assert list((tmp_path / RECORD / "logs" / "algo-2").glob("raylet.*"))
    keys = [item["Key"] for item in boto3.client("s3", **aws_settings()).list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert any(key.startswith(f"{tmp_path.name}/train/checkpoint_") for key in keys)
    nothing_left(hosts, members)
    client, runs = runs_of(tracking, "two-hosts")
    assert len(runs) == 1, "one MLflow run for the job, not one per host or worker"
    assert runs[0].data.params["hosts"] == "2" and runs[0].data.params["num_workers"] == "2"
    assert [m.step for m in client.get_metric_history(runs[0].info.run_id, "test_loss")] == [1]
    assert "model.pth" in {a.path for a in client.list_artifacts(runs[0].info.run_id)}


def test_tune_on_two_hosts_runs_trials_on_both(hosts, small_digits, tmp_path):
    members = ["algo-1", "algo-2"]
    hyperparameters = {**QUICK, "program": "tune", "storage-path": f"s3://{BUCKET}/{tmp_path.name}"}
    processes = start(hosts, tmp_path, members, members, hyperparameters, small_digits)

    codes = finish(processes, 540)

    assert codes == {"algo-1": 0, "algo-2": 0}, log(tmp_path, "algo-1")[-3000:]
    table = pd.read_csv(tmp_path / "algo-1" / "opt_ml" / "output" / "data" / "results.csv")
    assert len(table) == 16 and set(table["status"]) == {"ok"}
    assert "on 2 host(s) with 2 CPU(s), 2 at a time" in log(tmp_path, "algo-1")
    for host in members:
        assert ":actor_name:ImplicitFunc" in ray_logs(tmp_path, host), f"no trial ran on {host}"
    nothing_left(hosts, members)


def test_a_host_that_never_arrives_fails_the_job_naming_it(hosts, small_digits, tmp_path):
    members = ["algo-1", "algo-2", "algo-3"]
    hyperparameters = {**QUICK, "storage-path": f"s3://{BUCKET}/{tmp_path.name}", "hosts-timeout": str(HOSTS_TIMEOUT_S)}
    started = time.monotonic()
    processes = start(hosts, tmp_path, members, ["algo-1", "algo-2"], hyperparameters, small_digits)

    codes = finish(processes, HOSTS_TIMEOUT_S + 120)

    assert codes == {"algo-1": 1, "algo-2": 0}, log(tmp_path, "algo-1")[-3000:]
    assert time.monotonic() - started < HOSTS_TIMEOUT_S + 120
    failure = (tmp_path / "algo-1" / "opt_ml" / "output" / "failure").read_text().strip()
    assert failure == f"host(s) algo-3 never joined the job's Ray cluster within hosts-timeout ({HOSTS_TIMEOUT_S} s)"
    nothing_left(hosts, members)


def test_a_host_lost_mid_training_ends_the_job_with_a_reason_in_bounded_time(hosts, small_digits, tmp_path):
    members = ["algo-1", "algo-2"]
    hyperparameters = {
        **QUICK,
        "epochs": "500",
        "max-failures": "0",
        "storage-path": f"s3://{BUCKET}/{tmp_path.name}",
    }
    processes = start(hosts, tmp_path, members, members, hyperparameters, small_digits)
    wait_for_leader(processes, tmp_path, "epoch=2 ")

    hosts.cut("algo-2")
    hosts.kill("algo-2")
    lost = time.monotonic()
    try:
        codes = finish(processes, 300)
    finally:
        hosts.cut("algo-2", connected=True)

    assert codes["algo-1"] not in (0, None), log(tmp_path, "algo-1")[-3000:]
    print(f"the leader ended {time.monotonic() - lost:.0f} s after algo-2 was lost")
    failure = (tmp_path / "algo-1" / "opt_ml" / "output" / "failure").read_text().strip()
    assert "algo-2" in failure or "198.51.100.12" in failure, failure
    assert recorded_nodes(tmp_path) == {"algo-1": "ALIVE", "algo-2": "DEAD"}, log(tmp_path, "algo-1")[-3000:]
    last_lines, own_logs = recorded_last_lines(tmp_path, "algo-2"), ray_logs(tmp_path, "algo-2", "*.*")
    # Ray Train's local rank 0 on every host logs this (ray/train/torch/train_loop_utils.py, prepare_model);
    # "Setting up process group" comes from world rank 0 alone, on whichever host it was placed.
    wrapped = "Wrapping provided model in DistributedDataParallel."
    assert wrapped in last_lines, "the lost host's last lines are kept"
    assert all(line in own_logs for line in last_lines), "and they are the lines that host wrote before it was lost"
    assert not (tmp_path / "algo-1" / "opt_ml" / "model" / "model.pth").exists()
    nothing_left(hosts, members)


def test_a_leader_lost_mid_training_fails_the_other_host_with_a_reason(hosts, small_digits, tmp_path):
    """The leader vanishes before it announced the end: algo-2 must not pass for completed."""
    members = ["algo-1", "algo-2"]
    hyperparameters = {**QUICK, "epochs": "500", "storage-path": f"s3://{BUCKET}/{tmp_path.name}"}
    processes = start(hosts, tmp_path, members, members, hyperparameters, small_digits)
    wait_for_leader(processes, tmp_path, "epoch=2 ")

    hosts.cut("algo-1")
    hosts.kill("algo-1")
    try:
        codes = finish({"algo-2": processes["algo-2"]}, 120)
    finally:
        hosts.cut("algo-1", connected=True)

    assert codes == {"algo-2": 1}, log(tmp_path, "algo-2")[-3000:]
    failure = (tmp_path / "algo-2" / "opt_ml" / "output" / "failure").read_text().strip()
    assert failure == "the leader algo-1 stopped answering before its program ended, so algo-2 leaves the job"


WAITING_SCRIPT = """
import pathlib, time
go = pathlib.Path("/opt/ml/output/data/go")
deadline = time.monotonic() + 300
while not go.exists() and time.monotonic() < deadline:  # the test writes it once it has seen the dashboard
    time.sleep(0.2)
"""
JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/dashboard-test"


def _dashboard(hosts: SimulatedHosts, path: str, token: str | None) -> tuple[int, str]:
    """Status and body of a request to the leader's dashboard, sent from inside the leader's network."""
    probe = (
        "import sys, urllib.request, urllib.error\n"
        f"request = urllib.request.Request('http://127.0.0.1:{DEFAULT_DASHBOARD_PORT}{path}')\n"
        "if sys.argv[1]: request.add_header('Authorization', 'Bearer ' + sys.argv[1])\n"
        "try:\n    answer = urllib.request.urlopen(request, timeout=10)\n"
        "    print(answer.status); print(answer.read().decode())\n"
        "except urllib.error.HTTPError as error:\n    print(error.code)\n"
        "except OSError:\n    print(0)\n"
    )
    done = subprocess.run(
        ["ip", "netns", "exec", hosts.namespace("algo-1"), sys.executable, "-c", probe, token or ""],
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, _, body = done.stdout.partition("\n")
    return int(status or 0), body


def test_the_dashboard_shows_both_hosts_and_a_host_no_task_reaches_at_the_end_still_completes(
    hosts, tmp_path, require_tool
):
    """At the end no release task could reach algo-2's raylet: its entry point still hears the end and exits 0."""
    require_tool("nft")
    members = ["algo-1", "algo-2"]
    code = tmp_path / "code"
    code.mkdir()
    (code / "wait.py").write_text(WAITING_SCRIPT)
    hyperparameters = {"program": "script", "entry-script": "wait.py", "hosts-timeout": "300"}
    processes = {}
    for host in members:
        lay_out_job(tmp_path / host, members, host, hyperparameters, {"code": code})
        processes[host] = hosts.start(host, tmp_path / host, {**CPUS_PER_HOST, "TRAINING_JOB_ARN": JOB_ARN})
    # The job's token, as every host derives it (tests/launcher/test_dashboard.py: make dashboard derives the same).
    token = job_token(JOB_ARN, members, Hyperparameters.from_strings(hyperparameters).as_strings())
    deadline = time.monotonic() + 300
    while (answer := _dashboard(hosts, "/api/v0/nodes", token))[0] != 200 or answer[1].count('"ALIVE"') < 2:
        assert processes["algo-1"].poll() is None and time.monotonic() < deadline, log(tmp_path, "algo-1")[-3000:]
        time.sleep(0.5)

    nodes = json.loads(answer[1])["data"]["result"]["result"]
    without_token, wrong_token = _dashboard(hosts, "/api/v0/nodes", None), _dashboard(hosts, "/api/v0/nodes", "x")
    with hosts.raylet_unreachable("algo-2"):
        (tmp_path / "algo-1" / "opt_ml" / "output" / "data" / "go").touch()
        codes = finish(processes, 120)

    assert sorted(node["node_ip"] for node in nodes) == [hosts.address(host) for host in members]
    assert (without_token[0], wrong_token[0]) == (401, 403)
    assert codes == {"algo-1": 0, "algo-2": 0}, log(tmp_path, "algo-1")[-3000:] + log(tmp_path, "algo-2")[-2000:]
    assert "leaves: the leader's program has ended" in log(tmp_path, "algo-2")
    assert not (tmp_path / "algo-2" / "opt_ml" / "output" / "failure").exists()
    nothing_left(hosts, members)
