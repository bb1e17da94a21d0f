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
from infra import stack_names
from launcher.errors import LauncherError, service_answer
from launcher.stack.session import NO_CREDENTIALS, connect

# Output id of each field (infra/stack.py declares them, docs/stack.md documents them).
_OUTPUTS = {
    "region": stack_names.REGION,
    "data_bucket": stack_names.DATA_BUCKET,
    "artifacts_bucket": stack_names.ARTIFACTS_BUCKET,
    "training_role_arn": stack_names.TRAINING_ROLE,
    "kms_key_arn": stack_names.KMS_KEY,
    "repository_uri": stack_names.REPOSITORY_URI,
    "job_name_prefix": stack_names.JOB_NAME_PREFIX,
}
# Outputs of settings that may be off (infra/settings.py's mlflow).
_OPTIONAL_OUTPUTS = {"mlflow_arn": stack_names.MLFLOW_APP}


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
        cls,
        outputs_file: Path = stack_names.OUTPUTS_FILE,
        name: str | None = None,
        session: boto3.Session | None = None,
    ) -> Stack:
        """From the outputs file when it exists, else from CloudFormation."""
        if outputs_file.exists():
            try:
                return cls.from_outputs(*stack_outputs(outputs_file, name))
            except OutputsError as error:
                raise LauncherError(str(error)) from None
        name = name or stack_names.PROJECT  # the default name prefix names the stack
        return cls.from_outputs(name, _described_outputs(name, session))


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
