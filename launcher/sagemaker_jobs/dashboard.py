"""`make dashboard JOB=<name>`: the Ray dashboard of a running job, on this machine, through AWS Systems Manager.

SageMaker lets a job submitted with RemoteDebugConfig.EnableRemoteDebug (the launcher's default, see
launcher/sagemaker_jobs/trainer.py) be reached over SSM:
`aws ssm start-session --target sagemaker-training-job:<job>_algo-<n>`
(https://docs.aws.amazon.com/sagemaker/latest/dg/train-remote-debugging.html). Its port-forwarding document,
AWS-StartPortForwardingSession, brings the leader's dashboard (Ray's port 8265 on the leader's localhost)
to a local port. The dashboard asks for the job's Ray token, which this module derives from
DescribeTrainingJob exactly as training/cluster/network.py derives it inside the job.

Remote debugging is on by default (--no-remote-debug turns it off): SageMaker charges nothing for it and
Session Manager nothing for the sessions; the job's role gains only the four ssmmessages channel actions
SageMaker documents, and a session needs the caller's own ssm:StartSession on the job's target, which
the stack grants only to its own notebook role (infra/remote_debug.py). What it costs is that whoever
holds that permission gets a shell in the job's containers: an account that must not allow it turns
it off per job, or denies sagemaker:CreateTrainingJob with the sagemaker:EnableRemoteDebug condition key.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from launcher.errors import LauncherError
from training.cluster.network import job_token
from training.contract.hyperparameters import Hyperparameters

DASHBOARD_PORT = 8265  # Ray's default dashboard port, which the job's head uses
PORT_FORWARDING = "AWS-StartPortForwardingSession"
TARGET_PREFIX = "sagemaker-training-job"
NO_AWS_CLI = (
    "the AWS CLI is not installed: install it (https://docs.aws.amazon.com/cli/latest/userguide/"
    "getting-started-install.html), then run make dashboard again"
)
NO_PLUGIN = (
    "the AWS CLI's Session Manager plugin is not installed: install it (https://docs.aws.amazon.com/systems-manager/"
    "latest/userguide/session-manager-working-with-install-plugin.html), then run make dashboard again"
)


def job_hosts(job: dict[str, Any]) -> list[str]:
    """The job's host names, algo-1 ... algo-N, sorted as the container's contract sorts them."""
    config = job.get("ResourceConfig", {})
    groups = config.get("InstanceGroups") or [{"InstanceCount": config.get("InstanceCount", 1)}]
    count = sum(group["InstanceCount"] for group in groups)
    return sorted(f"algo-{index}" for index in range(1, count + 1))


def dashboard_token(job: dict[str, Any]) -> str:
    """The job's Ray token: the one given in its environment, else derived from its ARN, hosts and hyperparameters."""
    given = job.get("Environment", {}).get("RAY_AUTH_TOKEN")
    if given:
        return given
    hyperparameters = Hyperparameters.from_strings(job.get("HyperParameters", {})).as_strings()
    return job_token(job["TrainingJobArn"], job_hosts(job), hyperparameters)


def session_command(name: str, region: str, local_port: int, host: str = "algo-1") -> list[str]:
    """The AWS CLI command that forwards local_port to the dashboard of the job's host."""
    parameters = {"portNumber": [str(DASHBOARD_PORT)], "localPortNumber": [str(local_port)]}
    return [
        "aws", "ssm", "start-session",
        "--target", f"{TARGET_PREFIX}:{name}_{host}",
        "--region", region,
        "--document-name", PORT_FORWARDING,
        "--parameters", json.dumps(parameters, separators=(",", ":")),
    ]  # fmt: skip


def require_tools(path: str | None = None) -> None:
    """A LauncherError naming what to install when the AWS CLI or its Session Manager plugin is not on PATH."""
    if shutil.which("aws", path=path) is None:
        raise LauncherError(NO_AWS_CLI)
    if shutil.which("session-manager-plugin", path=path) is None:
        raise LauncherError(NO_PLUGIN)


def check_reachable(job: dict[str, Any]) -> None:
    """A LauncherError unless the job is running with remote debugging on (SSM reaches nothing else)."""
    name = job["TrainingJobName"]
    if not job.get("RemoteDebugConfig", {}).get("EnableRemoteDebug"):
        raise LauncherError(f"{name} was submitted without remote debugging: run it again without --no-remote-debug")
    if job["TrainingJobStatus"] != "InProgress" or job.get("SecondaryStatus") != "Training":
        state = job.get("SecondaryStatus") or job["TrainingJobStatus"]
        raise LauncherError(
            f"{name} is {state}, and its dashboard exists only while it is Training: see make logs JOB={name}"
        )


def instructions(name: str, token: str, local_port: int) -> Sequence[str]:
    """What the user reads before the session starts."""
    return (
        f"the Ray dashboard of {name}: http://localhost:{local_port} (stop with Ctrl-C)",
        f"when it asks for a token, paste the job's Ray token: {token}",
    )


def forward(command: Sequence[str]) -> int:
    """Run the session until the user stops it; its exit status (Ctrl-C is the normal end)."""
    try:
        return subprocess.run(list(command), check=False).returncode
    except KeyboardInterrupt:
        return 0
