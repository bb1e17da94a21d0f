"""The stack's one customer-managed KMS key: buckets, repository and notebook volume all use it."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


class Encryption(Construct):
    """A symmetric key with yearly rotation, so one key policy governs all of the stack's data at rest."""

    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{name_prefix}",
            description=f"Encrypts the data, artifacts, images and notebook volume of {name_prefix}",
            enable_key_rotation=True,
            pending_window=Duration.days(30),
            removal_policy=removal_policy,
        )
