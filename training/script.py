"""program=script: your own Ray program on the job's Ray cluster, run as SageMaker's script mode runs one.

Every host installs the `requirements.txt` beside the script (pip `--target` a folder put on
PYTHONPATH before Ray starts, so the Ray workers see it too) and joins the job's Ray cluster. The
leader then runs `python SCRIPT --name value ...` in the script's folder with `RAY_ADDRESS` pointing
at the cluster and the toolkit's SM_* variables (training/script_env.py). The script's exit status
is the job's; when it is not 0 the last lines it wrote to stderr become the failure reason.
"""
from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import ray

from training.cluster import ray_cluster
from training.contract import JobEnvironment
from training.errors import JobError, ScriptExited
from training.script_env import script_arguments, script_environment
from training.tracking import job_run

CODE_CHANNEL = "code"
REQUIREMENTS = "requirements.txt"
FAILURE_LIMIT = 1024  # the characters of output/failure that SageMaker keeps as FailureReason
TAIL_LINES = 20
STOP_GRACE_S = 100  # SageMaker sends SIGKILL 120 s after SIGTERM; leave the entry point time to clean up


def run(env: JobEnvironment) -> None:
    """Run the entry script on the leader once the cluster is formed; ScriptExited if it fails."""
    name = env.hyperparameters.entry_script
    script = entry_script(env)
    with requirements_installed(script.parent), ray_cluster(env):
        if not env.is_leader:
            return
        with job_run(env):  # the script's own mlflow.start_run() continues this run (script_env)
            status, tail = _run(script, name, env)
            if status != 0:
                raise ScriptExited(failure_reason(name, status, tail), status)
    print(f"{name} finished (exit status 0)", flush=True)


def entry_script(env: JobEnvironment) -> Path:
    """The script named by entry-script, which must be a file inside the code channel."""
    name = env.hyperparameters.entry_script
    if not name:
        raise JobError("program=script needs the hyperparameter 'entry-script': a Python file in the code channel")
    code = env.channel(CODE_CHANNEL).resolve()
    script = (code / name).resolve()
    if not script.is_relative_to(code):
        raise JobError(f"hyperparameter 'entry-script' must name a file inside the code channel, got '{name}'")
    if not script.is_file():
        raise JobError(f"hyperparameter 'entry-script' names no file in the code channel, got '{name}'")
    return script


@contextlib.contextmanager
def requirements_installed(folder: Path) -> Iterator[None]:
    """Install folder/requirements.txt (if any) into a temporary folder on PYTHONPATH while the block runs."""
    requirements = folder / REQUIREMENTS
    if not requirements.is_file():
        yield
        return
    previous = os.environ.get("PYTHONPATH")
    with tempfile.TemporaryDirectory(prefix="script-packages-") as target:
        print(f"installing {requirements}", flush=True)
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"]
        result = subprocess.run([*pip, "--target", target, "-r", REQUIREMENTS], cwd=folder, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            last = next((line for line in reversed(result.stderr.splitlines()) if line.strip()), "no output")
            raise JobError(f"installing the script's {REQUIREMENTS} failed: {last.strip()}")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [target, previous]))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = previous


def _run(script: Path, name: str, env: JobEnvironment) -> tuple[int, list[str]]:
    """Run the script with its output streaming; return its exit status and its last stderr lines."""
    arguments = script_arguments(env.given_hyperparameters)
    address = ray.get_runtime_context().gcs_address
    variables = script_environment(env, name, env.channel(CODE_CHANNEL), os.environ)
    child_env = {**os.environ, **variables, "RAY_ADDRESS": address, "PYTHONUNBUFFERED": "1"}
    print(f"running {name} {' '.join(arguments)} on the Ray cluster at {address}".rstrip(), flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    process = subprocess.Popen(
        [sys.executable, str(script), *arguments], cwd=script.parent, env=child_env, stderr=subprocess.PIPE, text=True
    )
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
