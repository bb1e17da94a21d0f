"""The ECR repository that `make push-image` fills and training jobs pull from.

It is named by CloudFormation unless the `repositoryName` setting names it: a retained repository with a
fixed name would make the next deploy after `make destroy` fail with RepositoryAlreadyExists.
"""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from constructs import Construct


class Registry(Construct):
    """An encrypted repository with scan on push, immutable tags and a cap on how many images it keeps."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository_name: str | None,
        key: kms.IKey,
        keep_images: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=repository_name,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            lifecycle_rules=[
                ecr.LifecycleRule(description=f"keep the last {keep_images} images", max_image_count=keep_images)
            ],
            removal_policy=removal_policy,
        )
