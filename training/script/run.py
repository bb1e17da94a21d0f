"""program=script: your own Ray program on the job's Ray cluster, run as SageMaker's script mode runs one.

The script is `entry-script` in the code channel, or the SageMaker SDK estimator's `sagemaker_program`
from its `sagemaker_submit_directory` (training/script/source.py). Every host installs the
`requirements.txt` beside the script, never replacing the image's Ray and torch
(training/script/requirements.py), and joins the job's Ray cluster. The leader then runs the script with
the toolkit's `--name value` arguments and SM_* variables (training/script/environment.py), already connected
to the cluster and with Ray's results under storage-path or output/data (training/script/runner.py).
The script's exit status is the job's; when it is not 0 its last stderr lines become the failure reason.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

import ray

from training.cluster.session import ray_cluster
from training.contract.environment import JobEnvironment
from training.errors import ScriptExited
from training.script import runner as script_runner
from training.script.environment import script_arguments, script_environment
from training.script.requirements import requirements_installed
from training.script.source import ScriptSource, script_source
from training.tracking.mlflow_run import job_run

FAILURE_LIMIT = 1024  # the characters of output/failure that SageMaker keeps as FailureReason
TAIL_LINES = 20
STOP_GRACE_S = 100  # SageMaker sends SIGKILL 120 s after SIGTERM; leave the entry point time to clean up


def run(env: JobEnvironment) -> None:
    """Run the script on the leader once the cluster is formed; ScriptExited if it fails."""
    source = script_source(env)
    with requirements_installed(source.folder), ray_cluster(env):
        if not env.is_leader:
            return
        with job_run(env):  # the script's own mlflow.start_run() continues this run (script_env)
            status, tail = _run(source, env)
            if status != 0:
                raise ScriptExited(failure_reason(source.name, status, tail), status)
    print(f"{source.name} finished (exit status 0)", flush=True)


def results_folder(env: JobEnvironment) -> str:
    """Ray Train's and Tune's default storage path for the script: storage-path, else output/data (uploaded)."""
    return env.hyperparameters.storage_path or str(env.paths.output_data_dir.resolve())


def _run(source: ScriptSource, env: JobEnvironment) -> tuple[int, list[str]]:
    """Run the script with its output streaming; return its exit status and its last stderr lines."""
    arguments = script_arguments(env.given_hyperparameters)
    address = ray.get_runtime_context().gcs_address
    variables = script_environment(env, source.name, source.module_dir, os.environ)
    child_env = {**os.environ, **variables, "RAY_ADDRESS": address, "PYTHONUNBUFFERED": "1"}
    print(f"running {source.name} {' '.join(arguments)} on the Ray cluster at {address}".rstrip(), flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    argv = script_runner.command(results_folder(env), str(source.script), arguments)
    process = subprocess.Popen(argv, cwd=source.folder, env=child_env, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            sys.stderr.write(line)
            tail.append(line)
        return _status(process.wait()), list(tail)
    except KeyboardInterrupt:  # the job is being stopped: the script is told too, and given time to end
        _stop(process)
        raise


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _status(returncode: int) -> int:
    """A process's exit status as a shell reports it: 128 + N for one ended by signal N."""
    return returncode if returncode >= 0 else 128 + signal.Signals(-returncode)


def failure_reason(name: str, status: int, tail: Sequence[str]) -> str:
    """`NAME exited with status N: <last stderr lines>`, whole lines where they fit in 1024 characters."""
    head = f"{name} exited with status {status}"
    lines = "".join(tail).strip().splitlines()
    if not lines:
        return f"{head} and wrote nothing to stderr"
    room = FAILURE_LIMIT - len(head) - 2
    while len(lines) > 1 and len("\n".join(lines)) > room:
        lines.pop(0)
    return f"{head}: " + "\n".join(lines)[-room:]
