"""`make ray-submit`: train, tune or your own script as a job on an existing Ray cluster (Ray Jobs API).

    python -m launcher ray-submit --address http://HEAD:8265 [--script PATH | --program train|tune]
        [--env NAME=VALUE ...] [--no-pins] [-- ARGS...]

A script runs as `python SCRIPT ARGS` in its own folder (the job's working dir); train and tune run
as `python -m training.ray_job PROGRAM ARGS` with training/ as the working dir. The runtime env pins
the project's `training` group (all but Ray: the cluster's Ray runs the job) plus the script's
requirements.txt. The client follows the job's logs and exits with its driver's exit status.

Token auth (Ray 2.60, docs/architecture.md): the dashboard refuses requests without the cluster's token. It is
sent when one is found where Ray's own tools look: RAY_AUTH_TOKEN, the file RAY_AUTH_TOKEN_PATH
names, or ~/.ray/auth_token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from infra.stack_names import PROJECT
from launcher.errors import LauncherError
from launcher.ray_clusters.program import EXCLUDES, pins, ray_program

EXIT_INTERRUPTED = 130
NO_AGENT = "No available agent to submit job"  # the dashboard's answer before the head's job agent is up
AGENT_WAIT_S = 60


@contextlib.contextmanager
def job_request(
    script: Path | None, program: str, args: Sequence[str], env: dict[str, str], with_pins: bool
) -> Iterator[dict]:
    """submit_job's keyword arguments; train and tune ship a temporary folder holding training/ only."""
    with tempfile.TemporaryDirectory(prefix="ray-submit-") as staging:
        job = ray_program(script, program, args, Path(staging))
        runtime_env: dict = {"working_dir": str(job.working_dir), "excludes": EXCLUDES}
        requirements = (pins() if with_pins else []) + job.requirements
        if requirements:
            runtime_env["pip"] = requirements
        if env:
            runtime_env["env_vars"] = env
        yield {"entrypoint": job.entrypoint, "runtime_env": runtime_env}


def auth_headers(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The bearer token for a cluster with token auth, from where Ray's own clients read it; {} if none."""
    env = os.environ if environ is None else environ
    token = env.get("RAY_AUTH_TOKEN")
    path = Path(env.get("RAY_AUTH_TOKEN_PATH") or Path(env.get("HOME", "~")).expanduser() / ".ray" / "auth_token")
    if not token and path.is_file():
        token = path.read_text().strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


def submit_and_follow(address: str, request: dict) -> int:
    """Submit the job, print its logs as they come, and return its driver's exit status."""
    from ray.job_submission import JobStatus, JobSubmissionClient

    if not address:
        raise LauncherError("give the cluster's dashboard address, e.g. make ray-submit RAY_ADDRESS=http://HEAD:8265")
    try:
        client = JobSubmissionClient(address, headers=auth_headers())
        job_id = _submit(client, request)
    except Exception as error:  # noqa: BLE001 - Ray raises ConnectionError, AuthenticationError, RuntimeError, ...
        raise LauncherError(f"the Ray cluster at {address} did not take the job: {_first_line(error)}") from None
    print(f"submitted {job_id} to {address}: {request['entrypoint']}", flush=True)
    try:
        asyncio.run(_print_logs(client, job_id))
    except KeyboardInterrupt:
        client.stop_job(job_id)
        print(f"\nstopped {job_id}", file=sys.stderr)
        return EXIT_INTERRUPTED
    info = client.get_job_info(job_id)
    if info.status == JobStatus.SUCCEEDED:
        print(f"{job_id} succeeded", flush=True)
        return 0
    status = info.driver_exit_code or 1
    print(f"{job_id} {info.status.value.lower()} (exit status {status}): {_first_line(info.message)}", file=sys.stderr)
    return status


def _submit(client, request: dict) -> str:
    """submit_job, again while a cluster that just started has no job agent yet (Ray says "try again later")."""
    deadline = time.monotonic() + AGENT_WAIT_S
    while True:
        try:
            return client.submit_job(**request, metadata={"project": PROJECT})
        except RuntimeError as error:
            if NO_AGENT not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(1)


async def _print_logs(client, job_id: str) -> None:
    async for chunk in client.tail_job_logs(job_id):
        print(chunk, end="", flush=True)


def _first_line(error: object) -> str:
    return (str(error).strip().splitlines() or [""])[0]
