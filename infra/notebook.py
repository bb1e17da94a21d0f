"""The ml.m5.4xlarge notebook instance users open, with Ray installed in its `conda_pytorch` kernel on every start.

Neither the instance nor its lifecycle configuration has a name of ours: SubnetId, SecurityGroupIds, KmsKeyId,
DirectInternetAccess and PlatformIdentifier are create-only (CloudFormation's resource schema), so changing
networkMode replaces the notebook, and CloudFormation cannot replace a resource that has a custom name.
"""

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.lifecycle import encoded, on_start_script
from infra.settings import InfraSettings
from infra.suppressions import Finding, suppress_nag


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
        lifecycle = sagemaker.CfnNotebookInstanceLifecycleConfig(
            self, "Lifecycle", on_start=[{"content": encoded(on_start_script(settings.idle_stop_minutes))}]
        )
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
