"""The launcher as Python calls, for the CLI and for a notebook alike.

from launcher.api import Stack, JobSpec, hyperparameters, submit, follow, fetch
stack = Stack.load()
name = submit(stack, JobSpec(hyperparameters=hyperparameters("train", ["--epochs", "3"])))
job = follow(stack, name)
print(fetch(stack, job).files)

Your own program (what `make run` does): packed = pack_code(Path("job.py")); upload_code(stack, packed), then
JobSpec(program="script", hyperparameters=script_hyperparameters(packed.entry_script, ["--epochs", "2"]),
channels={"code": packed.uri(stack)}).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import boto3

from container.image_file import IMAGE_FILE
from launcher.errors import LauncherError
from launcher.local import stack_job
from launcher.sagemaker_jobs import listing, results, tracking
from launcher.sagemaker_jobs.follow import follow_job
from launcher.sagemaker_jobs.request import JobSpec, hyperparameters, script_hyperparameters
from launcher.sagemaker_jobs.results import Fetched
from launcher.sagemaker_jobs.send import require_data, send_request
from launcher.sagemaker_jobs.trainer import job_request
from launcher.stack import code_channel
from launcher.stack.code_channel import Packed, pack_code
from launcher.stack.data_upload import Uploaded, upload_channels
from launcher.stack.image import explicit_image, image_uri
from launcher.stack.outputs import Stack
from launcher.stack.session import connect

__all__ = [
    "Fetched",
    "JobSpec",
    "LauncherError",
    "Packed",
    "Stack",
    "Uploaded",
    "describe",
    "fetch",
    "find_image",
    "follow",
    "hyperparameters",
    "mlflow_ui",
    "pack_code",
    "recent_jobs",
    "run_local",
    "script_hyperparameters",
    "stop",
    "submit",
    "upload_code",
    "upload_data",
]


def session_for(stack: Stack, session: boto3.Session | None = None) -> boto3.Session:
    """A session in the stack's region with credentials (LauncherError otherwise)."""
    return connect(stack.region, session)


def upload_data(stack: Stack, folder: Path | None = None, session: boto3.Session | None = None) -> list[Uploaded]:
    """`make data`: the digits (or folder's IDX files) into the data bucket; unchanged files are skipped."""
    return upload_channels(stack, session_for(stack, session), folder)


def upload_code(stack: Stack, packed: Packed, session: boto3.Session | None = None) -> int:
    """`make run`: the packed folder as the `code` channel; returns the files sent (0: that content was there)."""
    return code_channel.upload_code(packed, stack, session_for(stack, session))


def find_image(
    stack: Stack, image: str | None = None, image_file: Path = IMAGE_FILE, session: boto3.Session | None = None
) -> str:
    """The training image: image or IMAGE_URI, else image_file's, else the stack repository's newest push."""
    return image_uri(stack, session_for(stack, session), image, image_file)


def submit(stack: Stack, spec: JobSpec, image: str | None = None, session: boto3.Session | None = None) -> str:
    """Start the job on SageMaker and return its name; nothing is sent unless every check passes.

    image: a URI, or None for find_image's choice (IMAGE_URI, build/image-uri.txt, the repository's newest).
    """
    session = session_for(stack, session)
    uri = image_uri(stack, session, image)
    require_data(stack, session)
    return send_request(job_request(stack, uri, spec, session), session)


def run_local(
    stack: Stack,
    spec: JobSpec,
    image: str | None = None,
    session: boto3.Session | None = None,
    tool: str | None = None,
    echo=print,
) -> dict[str, Any]:
    """Run the same request on this machine (in the image when a container tool is given); describe the result."""
    session = session_for(stack, session)
    uri = image_uri(stack, session, image) if tool else (explicit_image(image) or f"{stack.repository_uri}:local")
    require_data(stack, session)
    request = job_request(stack, uri, spec, session)
    echo(f"running {request['TrainingJobName']} on this machine")
    return stack_job.run_request(request, session, tool, echo)


def follow(
    stack: Stack, name: str, out: TextIO = sys.stdout, session: boto3.Session | None = None, poll_seconds: float = 10.0
) -> dict[str, Any]:
    """Live status and every host's log lines until the job ends; its last description."""
    session = session_for(stack, session)
    return follow_job(session.client("sagemaker"), session.client("logs"), name, out, poll_seconds)


def describe(stack: Stack, name: str, session: boto3.Session | None = None) -> dict[str, Any]:
    return listing.describe(session_for(stack, session).client("sagemaker"), name)


def fetch(
    stack: Stack, job: dict[str, Any], jobs_dir: Path = results.DEFAULT_JOBS_DIR, session: boto3.Session | None = None
) -> Fetched:
    """A completed job's model.tar.gz and output.tar.gz, unpacked into jobs_dir/<job-name>/."""
    return results.fetch(job, session_for(stack, session), jobs_dir)


def stop(stack: Stack, name: str, session: boto3.Session | None = None) -> None:
    listing.stop(session_for(stack, session).client("sagemaker"), name)


def mlflow_ui(stack: Stack, session: boto3.Session | None = None) -> str | None:
    """A one-time link to the stack's MLflow UI (experiment = program, run = job name); None without one."""
    if not stack.mlflow_arn:
        return None
    return tracking.ui_url(session_for(stack, session).client("sagemaker"), stack.mlflow_arn)


def recent_jobs(stack: Stack, count: int = 10, session: boto3.Session | None = None) -> list[listing.JobRow]:
    return listing.recent(session_for(stack, session).client("sagemaker"), stack.job_name_prefix, count)
