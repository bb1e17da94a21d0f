"""The deployed stack as the launcher needs it: buckets, role, key, repository, job-name prefix.

From the outputs file `make deploy` writes (read by container/stack_outputs.py, the one reader of that
file), or, when there is none, from CloudFormation's DescribeStacks for the stack's name.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

from container.stack_outputs import OutputsError, stack_outputs
from launcher.stack.session import NO_CREDENTIALS, connect
from launcher.errors import LauncherError, service_answer

DEFAULT_STACK = "ray-on-sagemaker"  # infra's default name prefix, which names the stack
DEFAULT_OUTPUTS = Path("cdk-outputs.json")

# Output name of each field (the names infra/stack.py declares and docs/stack.md documents).
_OUTPUTS = {
    "region": "Region",
    "data_bucket": "DataBucketName",
    "artifacts_bucket": "ArtifactsBucketName",
    "training_role_arn": "TrainingRoleArn",
    "kms_key_arn": "KmsKeyArn",
    "repository_uri": "RepositoryUri",
    "job_name_prefix": "JobNamePrefix",
}
# Outputs of settings that may be off (infra/settings.py's mlflow).
_OPTIONAL_OUTPUTS = {"mlflow_arn": "MlflowArn"}


@dataclasses.dataclass(frozen=True)
class Stack:
    """What a job request needs from the stack; built once, passed down."""

    name: str
    region: str
    data_bucket: str
    artifacts_bucket: str
    training_role_arn: str
    kms_key_arn: str
    repository_uri: str
    job_name_prefix: str
    mlflow_arn: str = ""  # the stack's SageMaker MLflow App, when it has one

    @classmethod
    def from_outputs(cls, name: str, outputs: Mapping[str, str]) -> Stack:
        missing = [key for key in _OUTPUTS.values() if key not in outputs]
        if missing:
            raise LauncherError(f"stack '{name}' has no output {', '.join(missing)}: deploy it again with make deploy")
        optional = {field: outputs[key] for field, key in _OPTIONAL_OUTPUTS.items() if outputs.get(key)}
        return cls(name=name, **{field: outputs[key] for field, key in _OUTPUTS.items()}, **optional)

    @classmethod
    def load(
        cls, outputs_file: Path = DEFAULT_OUTPUTS, name: str | None = None, session: boto3.Session | None = None
    ) -> Stack:
        """From the outputs file when it exists, else from CloudFormation."""
        if outputs_file.exists():
            try:
                return cls.from_outputs(*stack_outputs(outputs_file, name))
            except OutputsError as error:
                raise LauncherError(str(error)) from None
        return cls.from_outputs(name or DEFAULT_STACK, _described_outputs(name or DEFAULT_STACK, session))


def _described_outputs(name: str, session: boto3.Session | None) -> dict[str, str]:
    session = connect(session=session)
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except NoCredentialsError:
        raise LauncherError(NO_CREDENTIALS) from None
    except ClientError as error:
        if "does not exist" in str(error):
            raise LauncherError(
                f"stack '{name}' is not deployed in {session.region_name}: run make deploy first"
            ) from None
        raise LauncherError(f"could not read stack '{name}' ({service_answer(error)}): check make deploy") from None
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
