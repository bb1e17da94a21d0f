"""The notebook role and the training execution role, each allowed only this stack's resources.

Statements are written out action by action (no `grant*` helpers, whose action wildcards hide what
is allowed), and every remaining wildcard item is excused by name on the role that holds it.
"""

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import permissions as p
from infra.suppressions import Finding, nag_item, suppress_nag


@dataclass(frozen=True)
class RoleTargets:
    """The resources the roles may touch, and the names that scope the rest."""

    data_bucket: s3.IBucket
    artifacts_bucket: s3.IBucket
    key: kms.IKey
    repository: ecr.IRepository
    notebook_name: str
    job_name_prefix: str


class Roles(Construct):
    """Creates `notebook_role` and `training_role`; the notebook may pass only the training role, only to SageMaker."""

    def __init__(self, scope: Construct, construct_id: str, *, targets: RoleTargets) -> None:
        super().__init__(scope, construct_id)
        self._stack = Stack.of(self)
        self._targets = targets
        self.training_role = self._role("TrainingRole", "Execution role of this stack's SageMaker training jobs")
        self.notebook_role = self._role("NotebookRole", "Role of this stack's notebook: its data, image and jobs only")
        self._grant_training()
        self._grant_notebook()

    def _role(self, construct_id: str, description: str) -> iam.Role:
        role = iam.Role(self, construct_id, assumed_by=iam.ServicePrincipal(p.SAGEMAKER), description=description)
        t = self._targets
        buckets = [t.data_bucket.bucket_arn, t.artifacts_bucket.bucket_arn]
        _allow(role, p.LIST_BUCKET, buckets)
        _allow(role, p.USE_KEY, [t.key.key_arn])
        _allow(role, ["kms:CreateGrant"], [t.key.key_arn], {"Bool": {"kms:GrantIsForAWSResource": "true"}})
        _allow(role, p.PULL_IMAGES, [t.repository.repository_arn])
        _allow(role, ["ecr:GetAuthorizationToken"], ["*"])
        return role

    def _grant_training(self) -> None:
        """Read data, read and write artifacts, write the job's logs and metrics."""
        t, role = self._targets, self.training_role
        streams = self._log_streams(p.TRAINING_LOG_GROUP)
        _allow(role, p.READ_OBJECTS, [t.data_bucket.arn_for_objects("*")])
        _allow(role, p.READ_OBJECTS + p.WRITE_OBJECTS, [t.artifacts_bucket.arn_for_objects("*")])
        _allow(role, p.WRITE_LOGS, [self._log_group(p.TRAINING_LOG_GROUP), streams])
        namespace = {"StringEquals": {"cloudwatch:namespace": p.METRICS_NAMESPACE}}
        _allow(role, ["cloudwatch:PutMetricData"], ["*"], namespace)
        self._excuse(role, Finding("AwsSolutions-IAM5", p.WHY_NO_RESOURCE_TRAINING, ["Resource::*"]))

    def _grant_notebook(self) -> None:
        """Use both buckets, push images, run and watch this stack's jobs, stop itself when idle."""
        t, role, stack = self._targets, self.notebook_role, self._stack
        jobs = stack.format_arn(service="sagemaker", resource="training-job", resource_name=f"{t.job_name_prefix}*")
        notebook = stack.format_arn(service="sagemaker", resource="notebook-instance", resource_name=t.notebook_name)
        notebook_streams = self._log_streams(p.NOTEBOOK_LOG_GROUP)
        objects = [t.data_bucket.arn_for_objects("*"), t.artifacts_bucket.arn_for_objects("*")]
        _allow(role, p.READ_OBJECTS + p.WRITE_OBJECTS, objects)
        _allow(role, p.PUSH_IMAGES, [t.repository.repository_arn])
        _allow(role, p.TRAINING_JOBS, [jobs])
        _allow(role, p.READ_LOGS, [self._log_group(p.TRAINING_LOG_GROUP), self._log_streams(p.TRAINING_LOG_GROUP)])
        _allow(role, p.WRITE_LOGS, [self._log_group(p.NOTEBOOK_LOG_GROUP), notebook_streams])
        _allow(role, p.OWN_NOTEBOOK, [notebook])
        passed_to = {"StringEquals": {"iam:PassedToService": p.SAGEMAKER}}
        _allow(role, ["iam:PassRole"], [self.training_role.role_arn], passed_to)
        self._excuse(
            role,
            Finding("AwsSolutions-IAM5", p.WHY_NOTEBOOK_LOGS, [nag_item(stack, notebook_streams)]),
            Finding("AwsSolutions-IAM5", p.WHY_JOBS, [nag_item(stack, jobs)]),
            Finding("AwsSolutions-IAM5", p.WHY_NO_RESOURCE_NOTEBOOK, ["Resource::*"]),
        )

    def _log_group(self, name: str) -> str:
        return self._stack.format_arn(
            service="logs", resource="log-group", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )

    def _log_streams(self, name: str) -> str:
        return f"{self._log_group(name)}:log-stream:*"

    def _excuse(self, role: iam.Role, *role_specific: Finding) -> None:
        """Excuse item by item the wildcards both roles share (objects, training log streams), then the role's own."""
        t, stack = self._targets, self._stack
        objects = [nag_item(stack, bucket.arn_for_objects("*")) for bucket in (t.data_bucket, t.artifacts_bucket)]
        suppress_nag(
            role,
            Finding("AwsSolutions-IAM5", p.WHY_OBJECTS, objects),
            Finding(
                "AwsSolutions-IAM5", p.WHY_TRAINING_LOGS, [nag_item(stack, self._log_streams(p.TRAINING_LOG_GROUP))]
            ),
            *role_specific,
        )


def _allow(role: iam.Role, actions: list[str], resources: list[str], conditions: dict | None = None) -> None:
    role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions))
