"""The SageMaker SDK's ModelTrainer for a JobSpec on a Stack: the one place the job request is built.

The image's own entry point runs (no source_code: with SourceCode the SDK sets ContainerEntrypoint to
`/bin/bash -c .../sm_train.sh`, its own driver, so the job's Ray cluster would never form); every
location and key comes from the stack. `make run`'s script reaches the job as one more channel, `code`,
from which the entry point runs it. The SDK is imported here only, as it takes seconds to load and the
other verbs do not need it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3

from infra.instance_types import has_local_storage
from infra.stack_names import PROJECT
from launcher.errors import LauncherError
from launcher.sagemaker_jobs.metrics import METRICS
from launcher.sagemaker_jobs.request import MAX_BASE_NAME, STAMP_DIGITS, JobSpec
from launcher.sagemaker_jobs.service_model import validate
from launcher.sagemaker_jobs.tracking import environment, mlflow_config, tracking_uri
from launcher.stack.image import image_commit
from launcher.stack.outputs import Stack

CHANNELS = ("training", "testing")
OUTPUT_PREFIX = "jobs"
CHECKPOINT_PREFIX = "checkpoints"
# The SDK sends usage data to an AWS endpoint unless opted out (sagemaker.core.telemetry); the launcher does not.
_SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
# The SDK's own switch for its client-side role check (sagemaker.core.helper.iam_role_resolver); ModelTrainer has
# no parameter for it.
_SDK_ROLE_CHECK = "SAGEMAKER_VALIDATE_ROLE"


def base_job_name(stack: Stack, spec: JobSpec) -> str:
    """The stack's prefix (the roles allow only names that start with it) and the program or --job-name."""
    name = spec.job_name or spec.program
    base = name if name.startswith(stack.job_name_prefix) else f"{stack.job_name_prefix}{name}"
    if len(base) > MAX_BASE_NAME:
        raise LauncherError(f"job name '{base}' is longer than {MAX_BASE_NAME} characters: give a shorter --job-name")
    return base


def channel_uri(stack: Stack, channel: str) -> str:
    return f"s3://{stack.data_bucket}/{channel}/"


def job_request(stack: Stack, image: str, spec: JobSpec, session: boto3.Session) -> dict[str, Any]:
    """The CreateTrainingJob request for spec, in the API's own shape, checked against SageMaker's service model.

    The SDK's own request builder (`_create_training_job_args`, pinned version) makes it; the name is ours:
    the SDK appends local time to the second, so two launches in one second would clash and the checkpoint
    folder (UTC) would not match. One UTC stamp to the millisecond names both.
    """
    from sagemaker.core.helper.iam_role_resolver import RoleValidationError

    launched = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:STAMP_DIGITS]
    mlflow = tracking_uri(spec, stack.mlflow_arn)
    try:
        request = _trainer(stack, image, spec, session, launched, mlflow)._create_training_job_args(boto3=True)
    except (RoleValidationError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LauncherError(f"the SageMaker SDK refused the job ({first}): check the flags and the stack") from None
    request["TrainingJobName"] = f"{base_job_name(stack, spec)}-{launched}"
    # ModelTrainer 1.27 has no MlflowConfig parameter; the request is ours to complete (sagemaker_jobs/tracking.py).
    tracking = mlflow_config(mlflow, spec, request["TrainingJobName"])
    if tracking is not None:
        request["MlflowConfig"] = tracking
    validate(request)
    return request


@contextlib.contextmanager
def _sdk_role_check_skipped() -> Iterator[None]:
    """The SDK's role check off while a ModelTrainer is built, through its own switch (iam_role_resolver).

    The check simulates the role against the SDK's own `*`-resource actions (ENI actions for VPC jobs,
    PutMetricData without the namespace the role's condition names): for an administrator, who may
    simulate, they come back implicitDeny and the SDK refuses a role that is right for these jobs. The
    stack's IAM is what this project's tests prove (tests/infra), so the launcher decides, not the SDK.
    """
    before = os.environ.get(_SDK_ROLE_CHECK)
    os.environ[_SDK_ROLE_CHECK] = "false"
    try:
        yield
    finally:
        if before is None:
            del os.environ[_SDK_ROLE_CHECK]
        else:
            os.environ[_SDK_ROLE_CHECK] = before


def _trainer(stack: Stack, image: str, spec: JobSpec, session: boto3.Session, launched: str, mlflow: str | None):
    """A ModelTrainer for exactly this project's request; `launched` names the job's checkpoint folder."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.shapes import MetricDefinition, Tag
    from sagemaker.core.training.configs import (
        CheckpointConfig,
        Compute,
        OutputDataConfig,
        RemoteDebugConfig,
        StoppingCondition,
    )
    from sagemaker.train import ModelTrainer

    base = base_job_name(stack, spec)
    checkpoints = f"s3://{stack.artifacts_bucket}/{CHECKPOINT_PREFIX}/{base}-{launched}"
    with _sdk_role_check_skipped():
        trainer = ModelTrainer(
            sagemaker_session=Session(boto_session=session, sagemaker_config=_SDK_CONFIG),
            training_image=image,
            role=stack.training_role_arn,
            base_job_name=base,
            compute=Compute(
                instance_type=spec.instance_type,
                instance_count=spec.instance_count,
                enable_managed_spot_training=spec.spot,
                volume_kms_key_id=None if has_local_storage(spec.instance_type) else stack.kms_key_arn,
                keep_alive_period_in_seconds=spec.keep_alive or None,
            ),
            hyperparameters={**_shared_storage(spec, checkpoints), **spec.hyperparameters, "program": spec.program},
            input_data_config=input_data(stack, spec),
            stopping_condition=StoppingCondition(
                max_runtime_in_seconds=spec.max_runtime, max_wait_time_in_seconds=spec.wait_limit if spec.spot else None
            ),
            output_data_config=OutputDataConfig(
                s3_output_path=f"s3://{stack.artifacts_bucket}/{OUTPUT_PREFIX}", kms_key_id=stack.kms_key_arn
            ),
            # One folder per launch: SageMaker restores it into a restarted spot job, and no other job resumes from it.
            checkpoint_config=CheckpointConfig(s3_uri=checkpoints),
            tags=[
                Tag(key="project", value=PROJECT),
                Tag(key="stack", value=stack.name),
                Tag(key="image-commit", value=image_commit(image)),
            ],
            environment=environment(mlflow, spec, image),
        )
    trainer = trainer.with_metric_definitions([MetricDefinition(name=n, regex=r) for n, r in METRICS.items()])
    if spec.remote_debug:  # SSM sessions into the containers, for make dashboard (launcher/sagemaker_jobs/dashboard.py)
        trainer = trainer.with_remote_debug_config(RemoteDebugConfig(enable_remote_debug=True))
    return trainer


def _shared_storage(spec: JobSpec, checkpoints: str) -> dict[str, str]:
    """Several instances keep Ray's state where all of them see it: the job's checkpoint prefix (unless given)."""
    return {"storage-path": checkpoints} if spec.instance_count > 1 else {}


def input_data(stack: Stack, spec: JobSpec) -> list[Any]:
    """The `training` and `testing` channels (data-bucket prefixes, where `make data` puts them), then the spec's."""
    from sagemaker.core.training.configs import InputData

    uris = {**{channel: channel_uri(stack, channel) for channel in CHANNELS}, **spec.channels}
    return [InputData(channel_name=channel, data_source=uri) for channel, uri in uris.items()]
