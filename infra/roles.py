"""The notebook role and the training execution role, each allowed only this stack's resources.

Statements are written out action by action (no `grant*` helpers, whose action wildcards hide what
is allowed), and every remaining wildcard item is excused by name on the role that holds it.
Condition keys, as the Service Authorization Reference defines them: `sagemaker:VolumeKmsKey` and
`sagemaker:OutputKmsKey` (type ARN) and `sagemaker:InstanceTypes` (ArrayOfString) on CreateTrainingJob;
`aws:ResourceTag/...` on the notebook-instance resource; `kms:ViaService` and `kms:GrantIsForAWSResource`
on KMS; `aws:SourceAccount` is a global key (https://docs.aws.amazon.com/service-authorization/latest/reference/
list_amazonsagemaker.html, list_awskeymanagementservice.html). "If the key that you specify in a policy condition
is not present in the request context, the values do not match and the condition is false" (IAM User Guide,
Condition operators), so `ArnEquals` on the volume and output keys refuses a request that omits them.
"""

from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.instance_types import has_local_storage
from infra.permissions import (
    GRANTS_VIA,
    KEY_USED_VIA,
    LIST_BUCKET,
    METRICS_NAMESPACE,
    NOTEBOOK_LOG_GROUP,
    OWN_NOTEBOOK,
    PULL_IMAGES,
    PUSH_IMAGES,
    READ_LOGS,
    READ_OBJECTS,
    SAGEMAKER,
    STACK_TAG,
    START_JOB,
    TRAINING_JOBS,
    USE_KEY,
    WHY_JOBS,
    WHY_NO_RESOURCE_NOTEBOOK,
    WHY_NO_RESOURCE_TRAINING,
    WHY_NOTEBOOK_BY_TAG,
    WHY_NOTEBOOK_LOGS,
    WHY_OBJECTS,
    WHY_TRAINING_LOGS,
    WRITE_LOGS,
    WRITE_OBJECTS,
)
from infra.stack_names import TRAINING_LOG_GROUP
from infra.suppressions import Finding, nag_item, suppress_nag


@dataclass(frozen=True)
class RoleTargets:
    """The resources the roles may touch, and the names that scope the rest."""

    data_bucket: s3.IBucket
    artifacts_bucket: s3.IBucket
    key: kms.IKey
    repository: ecr.IRepository
    stack_name: str
    job_name_prefix: str
    training_instance_types: tuple[str, ...]


class Roles(Construct):
    """Creates `notebook_role` and `training_role`; the notebook may pass only the training role, only to SageMaker."""

    def __init__(self, scope: Construct, construct_id: str, *, targets: RoleTargets) -> None:
        super().__init__(scope, construct_id)
        self._stack = Stack.of(self)
        self._targets = targets
        # SageMaker documents aws:SourceAccount for training jobs' execution roles; for notebook instances it does
        # not, so the notebook's trust checks the account whenever SageMaker sends it (IfExists).
        self.training_role = self._role(
            "TrainingRole", "Execution role of this stack's SageMaker training jobs", "StringEquals"
        )
        self.notebook_role = self._role(
            "NotebookRole", "Role of this stack's notebook: its data, image and jobs only", "StringEqualsIfExists"
        )
        self._grant_training()
        self._grant_notebook()

    def _role(self, construct_id: str, description: str, source_account: str) -> iam.Role:
        """A role SageMaker may assume only on behalf of this account (confused-deputy guard)."""
        trust = iam.ServicePrincipal(SAGEMAKER, conditions={source_account: {"aws:SourceAccount": Aws.ACCOUNT_ID}})
        role = iam.Role(self, construct_id, assumed_by=trust, description=description)
        targets = self._targets
        buckets = [targets.data_bucket.bucket_arn, targets.artifacts_bucket.bucket_arn]
        _allow(role, LIST_BUCKET, buckets)
        _allow(role, USE_KEY, [targets.key.key_arn], {"StringEquals": {"kms:ViaService": _via(KEY_USED_VIA)}})
        grants = {"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": {"kms:ViaService": _via(GRANTS_VIA)}}
        _allow(role, ["kms:CreateGrant"], [targets.key.key_arn], grants)
        _allow(role, PULL_IMAGES, [targets.repository.repository_arn])
        _allow(role, ["ecr:GetAuthorizationToken"], ["*"])
        return role

    def _grant_training(self) -> None:
        """Read data, read and write artifacts, write the job's logs and metrics."""
        targets, role = self._targets, self.training_role
        _allow(role, READ_OBJECTS, [targets.data_bucket.arn_for_objects("*")])
        _allow(role, READ_OBJECTS + WRITE_OBJECTS, [targets.artifacts_bucket.arn_for_objects("*")])
        _allow(role, WRITE_LOGS, [self._log_group(TRAINING_LOG_GROUP)])
        namespace = {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}}
        _allow(role, ["cloudwatch:PutMetricData"], ["*"], namespace)
        self._excuse(role, Finding("AwsSolutions-IAM5", WHY_NO_RESOURCE_TRAINING, ["Resource::*"]))

    def _grant_notebook(self) -> None:
        """Use both buckets, push images, run and watch this stack's jobs, stop itself when idle."""
        targets, role, stack = self._targets, self.notebook_role, self._stack
        job_names = f"{targets.job_name_prefix}*"
        jobs = stack.format_arn(service="sagemaker", resource="training-job", resource_name=job_names)
        notebooks = stack.format_arn(service="sagemaker", resource="notebook-instance", resource_name="*")
        notebook_logs = self._log_group(NOTEBOOK_LOG_GROUP)
        objects = [targets.data_bucket.arn_for_objects("*"), targets.artifacts_bucket.arn_for_objects("*")]
        _allow(role, READ_OBJECTS + WRITE_OBJECTS, objects)
        _allow(role, PUSH_IMAGES, [targets.repository.repository_arn])
        for conditions in start_job_conditions(targets.key.key_arn, targets.training_instance_types):
            _allow(role, [START_JOB], [jobs], conditions)
        _allow(role, TRAINING_JOBS, [jobs])
        _allow(role, READ_LOGS, [self._log_group(TRAINING_LOG_GROUP)])
        _allow(role, WRITE_LOGS, [notebook_logs])
        tagged = {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": targets.stack_name}}
        _allow(role, OWN_NOTEBOOK, [notebooks], tagged)
        # `make jobs` lists the stack's jobs; the launcher reads the stack's outputs when no outputs file is at hand.
        _allow(role, ["sagemaker:ListTrainingJobs"], ["*"])
        _allow(role, ["cloudformation:DescribeStacks"], [Aws.STACK_ID])
        passed_to = {"StringEquals": {"iam:PassedToService": SAGEMAKER}}
        _allow(role, ["iam:PassRole"], [self.training_role.role_arn], passed_to)
        self._excuse(
            role,
            Finding("AwsSolutions-IAM5", WHY_NOTEBOOK_LOGS, [nag_item(stack, notebook_logs)]),
            Finding("AwsSolutions-IAM5", WHY_JOBS, [nag_item(stack, jobs)]),
            Finding("AwsSolutions-IAM5", WHY_NOTEBOOK_BY_TAG, [nag_item(stack, notebooks)]),
            Finding("AwsSolutions-IAM5", WHY_NO_RESOURCE_NOTEBOOK, ["Resource::*"]),
        )

    def _log_group(self, name: str) -> str:
        """The `:*` form CloudWatch Logs documents for IAM (covers the group's streams too)."""
        return self._stack.format_arn(
            service="logs", resource="log-group", resource_name=f"{name}:*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )

    def _excuse(self, role: iam.Role, *role_specific: Finding) -> None:
        """Excuse item by item the wildcards both roles share (objects, training log streams), then the role's own."""
        targets, stack = self._targets, self._stack
        buckets = (targets.data_bucket, targets.artifacts_bucket)
        objects = [nag_item(stack, bucket.arn_for_objects("*")) for bucket in buckets]
        suppress_nag(
            role,
            Finding("AwsSolutions-IAM5", WHY_OBJECTS, objects),
            Finding("AwsSolutions-IAM5", WHY_TRAINING_LOGS, [nag_item(stack, self._log_group(TRAINING_LOG_GROUP))]),
            *role_specific,
        )


def start_job_conditions(key_arn: str, instance_types: tuple[str, ...]) -> list[dict]:
    """Conditions of the CreateTrainingJob statements: one for EBS-backed types, one for types with local disks.

    Both require the stack's key for the output and an instance type from the allowed list (`Null: false`
    so a request without one does not pass ForAllValues vacuously). EBS volumes must use the stack's key;
    on types with local NVMe storage SageMaker refuses a VolumeKmsKeyId, so there it must be absent.
    """
    groups = {
        False: [kind for kind in instance_types if not has_local_storage(kind)],
        True: [kind for kind in instance_types if has_local_storage(kind)],
    }
    statements = []
    for local, types in groups.items():
        if not types:
            continue
        conditions = {
            "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": types},
            "Null": {"sagemaker:InstanceTypes": "false"},
            "ArnEquals": {"sagemaker:OutputKmsKey": key_arn},
        }
        if local:
            conditions["Null"] = {**conditions["Null"], "sagemaker:VolumeKmsKey": "true"}
        else:
            conditions["ArnEquals"] = {**conditions["ArnEquals"], "sagemaker:VolumeKmsKey": key_arn}
        statements.append(conditions)
    return statements


def _via(services: tuple[str, ...]) -> list[str]:
    return [f"{service}.{Aws.REGION}.amazonaws.com" for service in services]


def _allow(role: iam.Role, actions: list[str], resources: list[str], conditions: dict | None = None) -> None:
    role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions))
