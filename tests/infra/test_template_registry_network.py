"""ECR repository and VPC as synthesized."""

import json

from tests.infra.helpers import logical_id, of_type, only


def test_repository_is_named_scanned_immutable_and_kms_encrypted(resources: dict) -> None:
    repository = only(resources, "AWS::ECR::Repository")["Properties"]
    key = logical_id(resources, "AWS::KMS::Key", "/Encryption/")
    assert repository["RepositoryName"] == "ray-on-sagemaker-training"
    assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert repository["ImageTagMutability"] == "IMMUTABLE"
    assert repository["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": [key, "Arn"]}}


def test_repository_keeps_only_the_last_twenty_images(resources: dict) -> None:
    policy = json.loads(only(resources, "AWS::ECR::Repository")["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"])
    (rule,) = policy["rules"]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
    assert rule["action"] == {"type": "expire"}


def test_notebook_subnet_is_private_and_leaves_through_the_nat_gateway(resources: dict) -> None:
    subnet = logical_id(resources, "AWS::EC2::Subnet", "/NotebookSubnet1/")
    assert resources[subnet]["Properties"]["MapPublicIpOnLaunch"] is False
    nat = logical_id(resources, "AWS::EC2::NatGateway", "/Vpc/")
    table = logical_id(resources, "AWS::EC2::RouteTable", "/NotebookSubnet1/")
    (route,) = [
        r["Properties"]
        for r in of_type(resources, "AWS::EC2::Route").values()
        if r["Properties"]["RouteTableId"] == {"Ref": table}
    ]
    assert route == {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": {"Ref": nat}, "RouteTableId": {"Ref": table}}


def test_vpc_flow_logs_go_to_the_log_bucket(resources: dict) -> None:
    flow_log = only(resources, "AWS::EC2::FlowLog")["Properties"]
    log_bucket = logical_id(resources, "AWS::S3::Bucket", "/Storage/AccessLogs/")
    assert flow_log["LogDestinationType"] == "s3"
    assert flow_log["LogDestination"] == {"Fn::GetAtt": [log_bucket, "Arn"]}
    assert flow_log["TrafficType"] == "ALL"


def test_s3_traffic_stays_on_a_gateway_endpoint(resources: dict) -> None:
    endpoint = only(resources, "AWS::EC2::VPCEndpoint")["Properties"]
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert ".s3" in json.dumps(endpoint["ServiceName"])


def test_notebook_security_group_allows_no_inbound_and_https_out_only(resources: dict) -> None:
    group = only(resources, "AWS::EC2::SecurityGroup")["Properties"]
    assert "SecurityGroupIngress" not in group
    assert not of_type(resources, "AWS::EC2::SecurityGroupIngress")
    (egress,) = group["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)
