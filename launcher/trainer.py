"""The SageMaker SDK's ModelTrainer for a JobSpec on a Stack: the one place the job request is built.

The image's own entry point runs (no source_code: with SourceCode the SDK sets ContainerEntrypoint to
`/bin/bash -c .../sm_train.sh`, its own driver, so the job's Ray cluster would never form); every
location and key comes from the stack. `make run`'s script reaches the job as one more channel, `code`,
from which the entry point runs it. The SDK is imported here only, as it takes seconds to load and the
other verbs do not need it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import boto3

from infra.instance_types import has_local_storage
from launcher.image import image_commit
from launcher.metrics import METRICS
from launcher.errors import LauncherError
from launcher.request import MAX_BASE_NAME, JobSpec
from launcher.stack import Stack

PROJECT = "ray-on-sagemaker"
CHANNELS = ("training", "testing")
OUTPUT_PREFIX = "jobs"
CHECKPOINT_PREFIX = "checkpoints"
# The SDK sends usage data to an AWS endpoint unless opted out (sagemaker.core.telemetry); the launcher does not.
_SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def base_job_name(stack: Stack, spec: JobSpec) -> str:
    """The stack's prefix (the roles allow only names that start with it) and the program or --job-name."""
    name = spec.job_name or spec.program
    base = name if name.startswith(stack.job_name_prefix) else f"{stack.job_name_prefix}{name}"
    if len(base) > MAX_BASE_NAME:
        raise LauncherError(f"job name '{base}' is longer than {MAX_BASE_NAME} characters: give a shorter --job-name")
    return base


def channel_uri(stack: Stack, channel: str) -> str:
    return f"s3://{stack.data_bucket}/{channel}/"


def build_trainer(stack: Stack, image: str, spec: JobSpec, session: boto3.Session):
    """A ModelTrainer whose train() sends exactly this project's CreateTrainingJob request."""
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
    launched = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    checkpoints = f"s3://{stack.artifacts_bucket}/{CHECKPOINT_PREFIX}/{base}-{launched}"
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
    )
    trainer = trainer.with_metric_definitions([MetricDefinition(name=n, regex=r) for n, r in METRICS.items()])
    if spec.remote_debug:  # SSM sessions into the containers, for make dashboard (launcher/dashboard.py)
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


def job_request(trainer) -> dict[str, Any]:
    """The CreateTrainingJob request train() would send, in the API's own shape (for the local executor).

    `_create_training_job_args` is the SDK's own request builder (pinned version, covered by a test).
    """
    return trainer._create_training_job_args(boto3=True)
