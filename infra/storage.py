"""The stack's S3 buckets: training data, artifacts (models and checkpoints) and their access logs."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.suppressions import Finding, skip_checkov

CHECKPOINT_PREFIX = "checkpoints/"


class Storage(Construct):
    """Private, versioned, TLS-only buckets; data and artifacts use the stack key and log to the log bucket.

    The log bucket uses SSE-S3 because S3 server access logs cannot be delivered to an SSE-KMS bucket.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        removal_policy: RemovalPolicy,
        checkpoint_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(365))],
            **_secure_defaults(removal_policy),
        )
        skip_checkov(
            self.log_bucket.node.default_child,
            Finding("CKV_AWS_18", "This is the access-log bucket; logging it into itself would loop."),
        )
        self.data_bucket = self._bucket("Data", key, removal_policy, [_abort_uploads()])
        self.artifacts_bucket = self._bucket(
            "Artifacts",
            key,
            removal_policy,
            [
                _abort_uploads(),
                s3.LifecycleRule(
                    id="expire-old-checkpoints", prefix=CHECKPOINT_PREFIX, expiration=Duration.days(checkpoint_days)
                ),
                s3.LifecycleRule(id="expire-noncurrent", noncurrent_version_expiration=Duration.days(checkpoint_days)),
            ],
        )

    def _bucket(
        self, name: str, key: kms.IKey, removal_policy: RemovalPolicy, rules: list[s3.LifecycleRule]
    ) -> s3.Bucket:
        return s3.Bucket(
            self,
            name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=f"{name.lower()}/",
            lifecycle_rules=rules,
            **_secure_defaults(removal_policy),
        )


def _secure_defaults(removal_policy: RemovalPolicy) -> dict:
    """Settings every bucket shares: no public access, TLS only, versioned, owner owns every object."""
    return {
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "enforce_ssl": True,
        "versioned": True,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "removal_policy": removal_policy,
    }


def _abort_uploads() -> s3.LifecycleRule:
    return s3.LifecycleRule(id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7))
