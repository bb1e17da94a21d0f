"""The VPC the notebook lives in.

`private` (default): a private subnet whose only way out is a NAT gateway, so direct internet access
stays disabled on the notebook and pip still works. `direct`: an isolated subnet and no NAT (cheaper);
the notebook then uses SageMaker's own internet access instead.

Both modes lay out the same address plan (the public /24 is only reserved in `direct`), so switching
modes keeps the notebook subnet's CIDR: a replaced subnet with the CIDR of one that still exists
would be refused, since CloudFormation deletes old resources only after creating the new ones.
"""

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.settings import InfraSettings
from infra.suppressions import Finding, skip_checkov

# CDK's singleton provider of the custom resource that strips the default security group's rules.
RESTRICT_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"
WHY_PROVIDER = {
    "CKV_AWS_115": "CDK's handler runs once per deployment, invoked only by CloudFormation; no concurrency to reserve.",
    "CKV_AWS_116": "CloudFormation waits for this handler's answer and fails the deploy on error; a DLQ adds nothing.",
    "CKV_AWS_117": "The handler only calls the EC2 API at deploy time; a VPC would need a NAT or endpoint just for it.",
}

HTTPS = ec2.Port.tcp(443)


class Network(Construct):
    """One-AZ VPC with flow logs to the access-log bucket, an S3 gateway endpoint and the notebook's security group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: InfraSettings,
        log_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        private = settings.network_mode == "private"
        notebook_subnet = ec2.SubnetConfiguration(
            name="Notebook",
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if private else ec2.SubnetType.PRIVATE_ISOLATED,
            cidr_mask=24,
        )
        public_subnet = ec2.SubnetConfiguration(
            name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24, reserved=not private
        )
        zone = settings.availability_zone
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/16"),
            availability_zones=[zone] if zone else None,
            max_azs=None if zone else 1,
            nat_gateways=1 if private else 0,
            subnet_configuration=[public_subnet, notebook_subnet],
            # CDK strips the default group's rules with a Lambda-backed custom resource (CloudFormation cannot).
            restrict_default_security_group=settings.restrict_default_security_group,
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            flow_logs={
                # Flow logs land under AWSLogs/, apart from the access logs' prefixes.
                "ToS3": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_s3(log_bucket),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        if settings.restrict_default_security_group:
            _excuse_default_group_handler(Stack.of(self))
        self.notebook_subnet = self.vpc.select_subnets(subnet_group_name="Notebook").subnets[0]
        self.security_group = ec2.SecurityGroup(
            self,
            "NotebookSecurityGroup",
            vpc=self.vpc,
            description="Notebook instance: no inbound, HTTPS out only (AWS APIs, package indexes)",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), HTTPS, "HTTPS to AWS APIs and package indexes")


def _excuse_default_group_handler(stack: Stack) -> None:
    """Explain checkov's findings on CDK's own handler, and drop the DependsOn cfn-lint calls redundant."""
    handler = stack.node.find_child(RESTRICT_PROVIDER).node.find_child("Handler")
    if not isinstance(handler, CfnResource):
        raise TypeError(f"Expected CDK's handler to be a CloudFormation resource, got {handler!r}.")
    skip_checkov(handler, *(Finding(check, why) for check, why in WHY_PROVIDER.items()))
    # Its Role property (a GetAtt) already orders it after the role.
    handler.add_deletion_override("DependsOn")
