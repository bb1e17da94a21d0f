"""Sending the job to SageMaker: checks that would otherwise fail after an instance booted, then one request."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

from launcher.errors import LauncherError, service_answer
from launcher.sagemaker_jobs.trainer import CHANNELS, channel_uri
from launcher.stack.outputs import Stack
from launcher.stack.session import NO_CREDENTIALS


def require_data(stack: Stack, session: boto3.Session) -> None:
    """Each channel's prefix holds at least one object, or the job would fail minutes later downloading nothing."""
    s3 = session.client("s3")
    for channel in CHANNELS:
        try:
            found = s3.list_objects_v2(Bucket=stack.data_bucket, Prefix=f"{channel}/", MaxKeys=1).get("KeyCount", 0)
        except NoCredentialsError:
            raise LauncherError(NO_CREDENTIALS) from None
        except ClientError as error:
            raise LauncherError(
                f"cannot read {channel_uri(stack, channel)} ({service_answer(error)}): check make deploy"
            ) from None
        if not found:
            raise LauncherError(f"no data in {channel_uri(stack, channel)}: run make data first")


def send_request(request: dict[str, Any], session: boto3.Session) -> str:
    """Send the CreateTrainingJob request as built and checked (sagemaker_jobs/trainer.py); return the job's name.

    A rejected request (an instance type the account cannot use, a quota of 0, a denied action) comes
    back as the service's answer in one line; SageMaker then has created nothing.
    """
    try:
        session.client("sagemaker").create_training_job(**request)
    except NoCredentialsError:
        raise LauncherError(NO_CREDENTIALS) from None
    except ClientError as error:
        raise LauncherError(
            f"SageMaker refused the job ({service_answer(error)}): "
            + (
                "pick another --instance-type or ask for a quota increase"
                if _about_capacity(error)
                else "fix that, then run the command again"
            )
        ) from None
    return request["TrainingJobName"]


def _about_capacity(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code == "ResourceLimitExceeded" or "instance" in str(error).lower()
