"""The ml.m5.4xlarge notebook instance users open, with this project and its Python 3.11 Ray kernel on every start.

Neither the instance nor its lifecycle configuration has a name of ours: SubnetId, SecurityGroupIds, KmsKeyId,
DirectInternetAccess and PlatformIdentifier are create-only (CloudFormation's resource schema), so changing
networkMode replaces the notebook, and CloudFormation cannot replace a resource that has a custom name.
"""

from pathlib import Path

from aws_cdk import Aws, Fn, IgnoreMode
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.lifecycle import on_start_script, split_at_asset
from infra.settings import InfraSettings
from infra.suppressions import Finding, suppress_nag

ROOT = Path(__file__).resolve().parents[1]
# What the notebook gets of the repository (gitignore syntax: `/*` drops the top level, `!` takes back):
# the code a notebook runs (the launcher's imports from container/ and infra/ too), the walkthrough, the docs the
# README links, and the pins its kernel installs.
PROJECT_FILES = [
    "/*",
    *(
        f"!/{path}"
        for path in ("training/", "launcher/", "notebooks/", "examples/", "docs/", "pyproject.toml", "README.md")
    ),
    "!/container/",
    "/container/*",
    *(
        f"!/container/{name}"
        for name in ("__init__.py", "image_file.py", "requirements.py", "stack_outputs.py", "tag.py", "tool.py")
    ),
    "!/infra/",
    "/infra/*",
    *(f"!/infra/{name}" for name in ("__init__.py", "instance_types.py", "stack_names.py")),
    "__pycache__/",
    "*.pyc",
]


class Notebook(Construct):
    """A notebook in the stack's VPC: encrypted volume, IMDSv2 only, no root and no direct internet by default."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: InfraSettings,
        role: iam.IRole,
        key: kms.IKey,
        subnet: ec2.ISubnet,
        security_group: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        project = s3_assets.Asset(self, "Project", path=str(ROOT), exclude=PROJECT_FILES, ignore_mode=IgnoreMode.GIT)
        # The on-start script downloads exactly this object (no grant helper: its actions carry wildcards).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[f"arn:{Aws.PARTITION}:s3:::{project.s3_bucket_name}/{project.s3_object_key}"],
            )
        )
        before, after = split_at_asset(on_start_script(settings.idle_stop_minutes))
        content = Fn.base64(Fn.join("", [before, project.s3_object_url, after]))
        lifecycle = sagemaker.CfnNotebookInstanceLifecycleConfig(self, "Lifecycle", on_start=[{"content": content}])
        direct = settings.network_mode == "direct"
        self.instance = sagemaker.CfnNotebookInstance(
            self,
            "Instance",
            instance_type=settings.instance_type,
            platform_identifier=settings.platform,
            volume_size_in_gb=settings.volume_size_gb,
            role_arn=role.role_arn,
            kms_key_id=key.key_id,
            root_access="Enabled" if settings.root_access else "Disabled",
            direct_internet_access="Enabled" if direct else "Disabled",
            subnet_id=subnet.subnet_id,
            security_group_ids=[security_group.security_group_id],
            lifecycle_config_name=lifecycle.attr_notebook_instance_lifecycle_config_name,
            instance_metadata_service_configuration=sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                minimum_instance_metadata_service_version="2"
            ),
        )
        if direct:
            reason = (
                "networkMode=direct was chosen: the notebook reaches the internet through SageMaker, not a NAT gateway."
            )
            suppress_nag(self.instance, Finding("AwsSolutions-SM3", reason))
