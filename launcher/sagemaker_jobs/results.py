"""A finished job's report and artifacts: final metrics, billable time and spot saving, then
model.tar.gz and output.tar.gz downloaded and unpacked into jobs/<job-name>/."""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path
from typing import Any

import boto3

from launcher.sagemaker_jobs.warm_pool import warm_pool_line
from training.cluster.ray_record import RECORD_FOLDER
from training.contract.programs import SCRIPT

DEFAULT_JOBS_DIR = Path("jobs")
# What training/ writes: the model folder (model.tar.gz) and the output data folder (output.tar.gz).
# A script's files are its own: every one of them is listed.
WANTED = {"model": ("model.pth", "metrics.json"), "output": ("results.csv", "heatmap.png")}


@dataclasses.dataclass(frozen=True)
class Fetched:
    """Where a job's results landed on this machine."""

    folder: Path
    files: dict[str, Path]

    @property
    def ray_record(self) -> Path:
        """Where Ray's record of the run (training/cluster/ray_record.py) is unpacked, when the job wrote one."""
        return record_folder(self.folder)


def record_folder(folder: Path) -> Path:
    return folder / "output" / RECORD_FOLDER


def summary(job: dict[str, Any]) -> list[str]:
    """The end-of-job lines: status (with SageMaker's failure reason), final metrics, time billed."""
    name, status = job["TrainingJobName"], job["TrainingJobStatus"]
    if status != "Completed":
        return [f"{name} {status.lower()}: {job.get('FailureReason', 'no reason given')}", *_warm_pool(job)]
    lines = [f"{name} completed"]
    metrics = {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])}
    if metrics:
        lines.append("final metrics: " + " ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items())))
    billable, training = job.get("BillableTimeInSeconds"), job.get("TrainingTimeInSeconds")
    count = job.get("ResourceConfig", {}).get("InstanceCount", 1)
    if training is not None:
        lines.append(f"training seconds: {training}")
    if billable is not None:
        # Per instance: SageMaker bills BillableTimeInSeconds x InstanceCount (API reference, DescribeTrainingJob).
        lines.append(f"billable seconds: {billable * count}" + (f" ({count} x {billable} s)" if count > 1 else ""))
    if billable is not None and training and job.get("EnableManagedSpotTraining"):
        lines.append(
            f"managed spot training saved {100 * (1 - billable / training):.0f}%"
            f" (billable {billable} s of {training} s)"
        )
    return lines + _warm_pool(job)


def _warm_pool(job: dict[str, Any]) -> list[str]:
    line = warm_pool_line(job)
    return [line] if line else []


def artifact_uris(job: dict[str, Any]) -> dict[str, str]:
    """S3 URIs of model.tar.gz and output.tar.gz: both in the job's `<output path>/<job>/output/`.

    A job that failed or was stopped may have no ModelArtifacts; its output path then tells the folder.
    """
    model = job.get("ModelArtifacts", {}).get("S3ModelArtifacts") or (
        f"{job['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{job['TrainingJobName']}/output/model.tar.gz"
    )
    return {"model": model, "output": model.rsplit("/", 1)[0] + "/output.tar.gz"}


def fetch(job: dict[str, Any], session: boto3.Session, jobs_dir: Path = DEFAULT_JOBS_DIR) -> Fetched:
    """Download and unpack both archives into jobs/<job-name>/model and /output; return the known files
    (for program=script, every file, named by its path under the job's folder)."""
    s3 = session.client("s3")
    folder = jobs_dir / job["TrainingJobName"]
    files: dict[str, Path] = {}
    for part, uri in artifact_uris(job).items():
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        archive = folder / uri.rsplit("/", 1)[-1]
        folder.mkdir(parents=True, exist_ok=True)
        try:
            s3.download_file(bucket, key, str(archive))
        except s3.exceptions.ClientError:
            continue  # a job with nothing in /opt/ml/output/data leaves no output.tar.gz
        with tarfile.open(archive) as tar:
            tar.extractall(folder / part, filter="data")
        files.update(listed(folder, part, job.get("HyperParameters", {}).get("program") == SCRIPT.name))
    return Fetched(folder=folder, files=files)


def listed(folder: Path, part: str, every_file: bool) -> dict[str, Path]:
    """The results known by name in folder/part (every file of a script's), named by their path under folder."""
    if every_file:  # but Ray's record, which the end-of-job report names as one folder
        record = record_folder(folder)
        found = sorted(p for p in (folder / part).rglob("*") if p.is_file() and not p.is_relative_to(record))
        return {path.relative_to(folder).as_posix(): path for path in found}
    return {name: folder / part / name for name in WANTED[part] if (folder / part / name).exists()}
