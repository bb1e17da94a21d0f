"""`--executor local` / `local-image`: the very request SageMaker would get, run on this machine.

The channels come down from the data bucket into a SageMaker-shaped folder (launcher/local/run.py), the
image's entry point runs there (or the pushed image itself, with the container tool `make push-image`
chose), and model.tar.gz and output.tar.gz go up to the job's output path, where SageMaker puts them.
The answer has DescribeTrainingJob's shape, so the end of a local job reads like a SageMaker one.
"""

from __future__ import annotations

import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from launcher.local.run import image_command, local_store, run
from launcher.sagemaker_jobs.metrics import final_metrics
from launcher.sagemaker_jobs.service_model import validate
from training.contract.environment import FIRST_HOST
from training.contract.layout import layout
from training.tracking.mlflow_run import EXPERIMENT_NAME, TRACKING_URI


def run_request(
    request: dict[str, Any], session: boto3.Session, tool: str | None = None, echo: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run a CreateTrainingJob request here (in the image when a container tool is given); describe the result.

    The request is first checked against SageMaker's service model, so what SageMaker would refuse fails here too.
    """
    validate(request)
    name = request["TrainingJobName"]
    s3 = session.client("s3")
    with tempfile.TemporaryDirectory(prefix="job-") as scratch:
        root = Path(scratch) / "opt-ml"
        channels = {
            channel["ChannelName"]: _download(
                s3, channel["DataSource"]["S3DataSource"]["S3Uri"], Path(scratch) / "in" / channel["ChannelName"]
            )
            for channel in request.get("InputDataConfig", [])
        }
        layout(root, request.get("HyperParameters", {}), channels)
        lines: list[str] = []

        def on_line(line: str) -> None:
            lines.append(line)
            echo(f"[{FIRST_HOST}] {line}")

        started = time.monotonic()
        argv = image_command(tool, request["AlgorithmSpecification"]["TrainingImage"], root) if tool else None
        status = run(root, on_line, argv, None if tool else _job_environment(request, root))
        seconds = int(time.monotonic() - started)
        output = f"{request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/output"
        job = {
            "TrainingJobName": name,
            "TrainingJobStatus": "Completed" if status == 0 else "Failed",
            "HyperParameters": request.get("HyperParameters", {}),
            "TrainingTimeInSeconds": seconds,
            "ModelArtifacts": {"S3ModelArtifacts": f"{output}/model.tar.gz"},
            "FinalMetricDataList": [{"MetricName": k, "Value": v} for k, v in final_metrics(lines).items()],
        }
        encryption = _encryption(request["OutputDataConfig"].get("KmsKeyId"))
        # The output data also of a failed job: Ray's record of the run (training/cluster/ray_record.py) is there.
        _upload_tar(s3, root / "output" / "data", f"{output}/output.tar.gz", Path(scratch), encryption)
        if status != 0:
            failure = root / "output" / "failure"
            reason = failure.read_text().strip() if failure.exists() else f"the entry point exited with {status}"
            return {**job, "FailureReason": reason}
        _upload_tar(s3, root / "model", f"{output}/model.tar.gz", Path(scratch), encryption)
        return job


def _job_environment(request: dict[str, Any], root: Path) -> dict[str, str]:
    """The container's environment as SageMaker sets it: the request's Environment and the job's name.

    With no tracking URI given, the job logs to a SQLite store in its own output/data/mlflow/, which comes
    back in output.tar.gz (`mlflow ui --backend-store-uri sqlite:///.../mlflow.db` opens it).
    """
    environment = {**request.get("Environment", {}), "TRAINING_JOB_NAME": request["TrainingJobName"]}
    if TRACKING_URI not in environment:
        program = request["HyperParameters"]["program"]
        environment.update({TRACKING_URI: local_store(root.resolve()), EXPERIMENT_NAME: program})
    return environment


def _download(s3, uri: str, folder: Path) -> Path:
    """Every object under an S3 prefix into folder, keys relative to the prefix (what File mode does)."""
    bucket, prefix = uri.removeprefix("s3://").split("/", 1)
    folder.mkdir(parents=True, exist_ok=True)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            target = folder / item["Key"][len(prefix) :].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
    return folder


def _encryption(key: str | None) -> dict[str, str]:
    """Upload arguments that encrypt with the job's output key, as SageMaker does with OutputDataConfig.KmsKeyId."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if key else {}


def _upload_tar(s3, folder: Path, uri: str, scratch: Path, extra: dict[str, str]) -> None:
    """folder's contents as a gzip tar at uri (SageMaker's archive layout: entries relative to the folder)."""
    archive = scratch / uri.rsplit("/", 1)[-1]
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    s3.upload_file(str(archive), bucket, key, ExtraArgs=extra)
