"""`make dashboard`: the SSM command built for a job, the token it tells, and the sentences when it cannot start.

No AWS here: the command is what `aws ssm start-session` gets; the token is checked against the one the job's
own entry point derives (the dashboard accepting it on the simulated hosts: tests/training/test_multihost.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from launcher.errors import LauncherError
from launcher.sagemaker_jobs.dashboard import (
    NO_AWS_CLI,
    NO_PLUGIN,
    check_reachable,
    dashboard_token,
    job_hosts,
    session_command,
)
from training.cluster.network import cluster_token
from training.contract.environment import read_environment
from training.contract.layout import layout

REPOSITORY = Path(__file__).resolve().parents[2]
ARN = "arn:aws:sagemaker:eu-west-1:123456789012:training-job/ray-on-sagemaker-train-20261203120000"
RUNNING = {
    "TrainingJobName": "ray-on-sagemaker-train-20261203120000",
    "TrainingJobArn": ARN,
    "TrainingJobStatus": "InProgress",
    "SecondaryStatus": "Training",
    "RemoteDebugConfig": {"EnableRemoteDebug": True},
    "HyperParameters": {"epochs": "3", "program": "train", "storage-path": "s3://bucket/checkpoints/x"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
}


def test_the_session_forwards_the_leaders_dashboard_port_through_the_documented_target() -> None:
    assert session_command("ray-on-sagemaker-train-1", "eu-west-1", 8300) == [
        "aws", "ssm", "start-session",
        "--target", "sagemaker-training-job:ray-on-sagemaker-train-1_algo-1",
        "--region", "eu-west-1",
        "--document-name", "AWS-StartPortForwardingSession",
        "--parameters", '{"portNumber":["8265"],"localPortNumber":["8300"]}',
    ]  # fmt: skip


def test_the_token_told_is_the_one_the_jobs_entry_point_derives(tmp_path) -> None:
    hosts = job_hosts(RUNNING)
    layout(tmp_path, RUNNING["HyperParameters"], {})
    resources = {"current_host": "algo-1", "hosts": hosts, "network_interface_name": "eth0"}
    (tmp_path / "input" / "config" / "resourceconfig.json").write_text(json.dumps(resources))
    env = read_environment([], {"SM_BASE_DIR": str(tmp_path), "TRAINING_JOB_ARN": ARN})

    assert hosts == ["algo-1", "algo-2"]
    assert dashboard_token(RUNNING) == cluster_token(env)
    assert dashboard_token({**RUNNING, "Environment": {"RAY_AUTH_TOKEN": "given"}}) == "given"
    assert dashboard_token({**RUNNING, "TrainingJobArn": ARN + "-2"}) != cluster_token(env)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"RemoteDebugConfig": {"EnableRemoteDebug": False}}, "was submitted without remote debugging"),
        ({"TrainingJobStatus": "Completed", "SecondaryStatus": "Completed"}, "is Completed, and its dashboard"),
        ({"SecondaryStatus": "Downloading"}, "is Downloading, and its dashboard exists only while it is Training"),
    ],
)
def test_a_job_ssm_cannot_reach_is_one_sentence(change: dict, message: str) -> None:
    check_reachable(RUNNING)
    with pytest.raises(LauncherError, match=message):
        check_reachable({**RUNNING, **change})


@pytest.mark.parametrize(("tools", "sentence"), [([], NO_AWS_CLI), (["aws"], NO_PLUGIN)])
def test_without_the_aws_cli_or_its_session_manager_plugin_one_sentence_says_what_to_install(
    tmp_path, tools: list[str], sentence: str
) -> None:
    for tool in tools:
        (tmp_path / tool).write_text("#!/bin/sh\nexit 0\n")
        (tmp_path / tool).chmod(0o755)
    environ = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(REPOSITORY)}
    done = subprocess.run(
        [sys.executable, "-m", "launcher", "dashboard", RUNNING["TrainingJobName"]],
        capture_output=True, text=True, env=environ, cwd=REPOSITORY, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"dashboard: {sentence}\n" and done.stdout == ""
