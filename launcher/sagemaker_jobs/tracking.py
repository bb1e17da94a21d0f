"""Where a job logs its experiment: MlflowConfig in the request, MLflow's variables in its Environment.

Default: the stack's SageMaker MLflow App (output MlflowArn) for SageMaker jobs, a SQLite store in the
job's own output folder for `--executor local` (launcher/local/stack_job.py). `--mlflow URI` takes any MLflow
tracking URI (a server of your own, an MLflow ARN) and `--mlflow none` turns tracking off.
CreateTrainingJob's MlflowConfig takes only a SageMaker MLflow ARN (botocore's MlFlowResourceArn pattern);
other URIs reach the job through its Environment alone. Never put credentials in a URI here: the
Environment is visible to anyone who may describe the job.

ModelTrainer 1.27 has no MlflowConfig parameter; launcher/sagemaker_jobs/trainer.py adds `mlflow_config` to the request
it builds, filled with the job's final name.
"""

from __future__ import annotations

import re

from launcher.errors import LauncherError
from launcher.sagemaker_jobs.request import JobSpec
from training.contract.environment import IMAGE_VARIABLE
from training.tracking.mlflow_run import EXPERIMENT_NAME, TRACKING_URI

OFF = "none"
# botocore's MlFlowResourceArn (CreateTrainingJob's MlflowConfig.MlflowResourceArn).
MLFLOW_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:mlflow-[a-zA-Z-]*/.*")
_URI = re.compile(r"(https?|sqlite|file|databricks)://.*|arn:.*")
_CREDENTIALS = re.compile(r"://[^/@]+@")


def tracking_uri(spec: JobSpec, stack_mlflow_arn: str) -> str | None:
    """The URI the job logs to; None leaves it to the executor (the local store, or no tracking)."""
    if spec.mlflow:
        if spec.mlflow != OFF and not _URI.fullmatch(spec.mlflow):
            raise LauncherError(f"--mlflow must be an MLflow tracking URI, an MLflow ARN or none, got '{spec.mlflow}'")
        if _CREDENTIALS.search(spec.mlflow):
            raise LauncherError("--mlflow must not hold credentials: give them to the job another way")
        return spec.mlflow
    return (stack_mlflow_arn or None) if spec.executor == "sagemaker" else None


def environment(uri: str | None, spec: JobSpec, image: str) -> dict[str, str]:
    """The job's Environment: the image's URI (a tag of its run) and MLflow's own variables."""
    variables = {IMAGE_VARIABLE: image}
    if uri == OFF:
        return {**variables, TRACKING_URI: OFF}
    if uri:
        variables.update({TRACKING_URI: uri, EXPERIMENT_NAME: spec.program})
    return variables


def mlflow_config(uri: str | None, spec: JobSpec, job_name: str) -> dict[str, str] | None:
    """CreateTrainingJob's MlflowConfig: experiment = the program, run = the job; only for an MLflow ARN."""
    if not uri or not MLFLOW_ARN.fullmatch(uri):
        return None
    return {"MlflowResourceArn": uri, "MlflowExperimentName": spec.program, "MlflowRunName": job_name}


def ui_url(sagemaker, arn: str) -> str:
    """A presigned, one-time URL of the MLflow UI (CreatePresignedMlflowAppUrl; ...TrackingServerUrl for a server)."""
    kind, _, name = arn.rsplit(":", 1)[-1].partition("/")
    if kind == "mlflow-tracking-server":
        return sagemaker.create_presigned_mlflow_tracking_server_url(TrackingServerName=name)["AuthorizedUrl"]
    return sagemaker.create_presigned_mlflow_app_url(Arn=arn)["AuthorizedUrl"]
