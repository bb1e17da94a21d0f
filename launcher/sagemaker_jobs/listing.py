"""The stack's jobs as SageMaker knows them: one job's description, the recent ones, stopping one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from launcher.errors import LauncherError, service_answer


@dataclasses.dataclass(frozen=True)
class JobRow:
    """One line of `make jobs`."""

    name: str
    status: str
    seconds: int | None
    test_accuracy: float | None
    mlflow_run: str | None = None  # the job's run in the stack's MLflow (SageMaker's MlflowDetails)

    def __str__(self) -> str:
        duration = f"{self.seconds // 60}m{self.seconds % 60:02d}s" if self.seconds is not None else "-"
        accuracy = f"{self.test_accuracy:.4f}" if self.test_accuracy is not None else "-"
        return f"{self.name:<48} {self.status:<11} {duration:>9} {accuracy:>13} {self.mlflow_run or '-'}"


HEADER = f"{'job':<48} {'status':<11} {'duration':>9} {'test_accuracy':>13} mlflow run"


def describe(sagemaker, name: str) -> dict[str, Any]:
    """The job's description, or one sentence when there is no such job."""
    try:
        return sagemaker.describe_training_job(TrainingJobName=name)
    except ClientError as error:
        raise LauncherError(
            f"no job '{name}' ({service_answer(error)}): list the stack's jobs with make jobs"
        ) from None


def row(job: dict[str, Any]) -> JobRow:
    start, end = job.get("TrainingStartTime") or job.get("CreationTime"), job.get("TrainingEndTime")
    if start is not None and end is None and job["TrainingJobStatus"] == "InProgress":
        end = datetime.now(UTC)
    metrics = {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])}
    return JobRow(
        name=job["TrainingJobName"],
        status=job["TrainingJobStatus"],
        seconds=int((end - start).total_seconds()) if start is not None and end is not None else None,
        test_accuracy=metrics.get("test_accuracy"),
        mlflow_run=job.get("MlflowDetails", {}).get("MlflowRunId"),
    )


def recent(sagemaker, prefix: str, count: int = 10) -> list[JobRow]:
    """The newest `count` jobs whose names start with the stack's prefix, newest first."""
    listed = sagemaker.list_training_jobs(
        NameContains=prefix, SortBy="CreationTime", SortOrder="Descending", MaxResults=count
    )["TrainingJobSummaries"]
    names = [job["TrainingJobName"] for job in listed if job["TrainingJobName"].startswith(prefix)]
    return [row(describe(sagemaker, name)) for name in names]


def stop(sagemaker, name: str) -> None:
    """Ask SageMaker to stop the job (SIGTERM, then SIGKILL after 120 s; the latest checkpoint is kept)."""
    describe(sagemaker, name)
    sagemaker.stop_training_job(TrainingJobName=name)
