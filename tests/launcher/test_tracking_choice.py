"""Which MLflow a job logs to, from --mlflow, the executor and the stack (the request itself: test_moto_jobs.py)."""

import pytest

from launcher.errors import LauncherError
from launcher.sagemaker_jobs.request import JobSpec
from launcher.sagemaker_jobs.tracking import environment, mlflow_config, tracking_uri

APP = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-app/app-ABCDEF123456"
SERVER = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/team"


@pytest.mark.parametrize(
    "spec, stack_arn, expected",
    [
        (JobSpec(), APP, APP),  # SageMaker: the stack's App by default
        (JobSpec(), "", None),  # a stack without one: no tracking
        (JobSpec(executor="local"), APP, None),  # local: the job's own store (launcher/local/stack_job.py)
        (JobSpec(mlflow="none"), APP, "none"),
        (JobSpec(mlflow="http://mlflow.internal:5000"), APP, "http://mlflow.internal:5000"),
        (JobSpec(mlflow=SERVER, executor="local"), APP, SERVER),
    ],
)
def test_the_tracking_uri_follows_the_flag_then_the_executor_and_stack(spec, stack_arn, expected) -> None:
    assert tracking_uri(spec, stack_arn) == expected


@pytest.mark.parametrize(
    "given, message",
    [
        ("https://me:secret@mlflow.example.com", "must not hold credentials"),
        ("mlflow.example.com", "must be an MLflow"),
    ],
)
def test_a_bad_or_secret_bearing_uri_is_refused_with_one_sentence(given: str, message: str) -> None:
    with pytest.raises(LauncherError, match=message):
        tracking_uri(JobSpec(mlflow=given), "")


def test_only_an_mlflow_arn_goes_into_mlflow_config_and_every_uri_into_the_environment() -> None:
    tune = JobSpec(program="tune")
    assert mlflow_config(SERVER, tune, "job-1") == {
        "MlflowResourceArn": SERVER,
        "MlflowExperimentName": "tune",
        "MlflowRunName": "job-1",
    }
    assert mlflow_config("http://mlflow.internal:5000", tune, "job-1") is None
    assert environment("http://h:5000", tune, "img") == {
        "RAY_SM_IMAGE": "img",
        "MLFLOW_TRACKING_URI": "http://h:5000",
        "MLFLOW_EXPERIMENT_NAME": "tune",
    }
    assert environment("none", tune, "img") == {"RAY_SM_IMAGE": "img", "MLFLOW_TRACKING_URI": "none"}
