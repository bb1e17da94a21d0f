"""The VPC the notebook lives in.

`private` (default): a private subnet whose only way out is a NAT gateway, so direct internet access
stays disabled on the notebook and pip still works. `direct`: an isolated subnet and no NAT (cheaper);
the notebook then uses SageMaker's own internet access instead.
"""

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

HTTPS = ec2.Port.tcp(443)


class Network(Construct):
    """One-AZ VPC with flow logs to the access-log bucket, an S3 gateway endpoint and the notebook's security group."""

    def __init__(self, scope: Construct, construct_id: str, *, network_mode: str, log_bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        private = network_mode == "private"
        notebook_subnet = ec2.SubnetConfiguration(
            name="Notebook",
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if private else ec2.SubnetType.PRIVATE_ISOLATED,
            cidr_mask=24,
        )
        public_subnet = ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/16"),
            max_azs=1,
            nat_gateways=1 if private else 0,
            subnet_configuration=[public_subnet, notebook_subnet] if private else [notebook_subnet],
            restrict_default_security_group=False,
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            flow_logs={
                # Flow logs land under AWSLogs/, apart from the access logs' prefixes.
                "ToS3": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_s3(log_bucket),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        self.notebook_subnet = self.vpc.select_subnets(subnet_group_name="Notebook").subnets[0]
        self.security_group = ec2.SecurityGroup(
            self,
            "NotebookSecurityGroup",
            vpc=self.vpc,
            description="Notebook instance: no inbound, HTTPS out only (AWS APIs, package indexes)",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), HTTPS, "HTTPS to AWS APIs and package indexes")
