"""ECR repository and VPC as synthesized."""

import json

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from cfnlint.schema._exceptions import ResourceNotFoundError

from tests.infra.helpers import logical_id, of_type, only, synthesize


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Resources of the default stack switched to networkMode=direct."""
    return synthesize(tmp_path_factory.mktemp("cdk.out.direct"), networkMode="direct").template.to_json()["Resources"]


def create_only(resource_type: str) -> list[str]:
    """Top-level properties whose change makes CloudFormation replace the resource (its registry schema)."""
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except ResourceNotFoundError:
        return []
    return [path.split("/")[2] for path in schema.get("createOnlyProperties", []) if path.count("/") == 2]


def test_switching_network_mode_replaces_only_resources_without_a_name_of_ours(resources: dict, direct: dict) -> None:
    """CloudFormation cannot replace a resource that has a custom name; none of the replaced ones has one."""
    replaced = {}
    for lid, before in resources.items():
        after = direct.get(lid)
        if after is None:
            continue
        props = create_only(before["Type"])
        changed = [p for p in props if before["Properties"].get(p) != after["Properties"].get(p)]
        if changed:
            replaced[lid] = changed
            named = [p for p in props if p.endswith("Name") and p in after["Properties"]]
            assert not named, f"{lid} would be replaced ({changed}) but has a custom name {named}"
    notebook = logical_id(resources, "AWS::SageMaker::NotebookInstance", "/Notebook/")
    assert replaced == {notebook: ["DirectInternetAccess"]}


def test_repository_is_unnamed_scanned_immutable_and_kms_encrypted(resources: dict) -> None:
    repository = only(resources, "AWS::ECR::Repository")["Properties"]
    key = logical_id(resources, "AWS::KMS::Key", "/Encryption/")
    assert "RepositoryName" not in repository
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


def subnets_by_group(resources: dict) -> dict[str, dict]:
    return {
        next(t["Value"] for t in r["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-name"): r["Properties"]
        for r in of_type(resources, "AWS::EC2::Subnet").values()
    }


def test_both_network_modes_give_the_notebook_subnet_the_same_address_range(resources: dict, direct: dict) -> None:
    """Switching modes then changes the subnet's routes only; a replaced subnet's CIDR would still be taken."""
    private, isolated = subnets_by_group(resources), subnets_by_group(direct)
    assert private["Notebook"]["CidrBlock"] == isolated["Notebook"]["CidrBlock"] == "10.42.1.0/24"
    assert private["Public"]["CidrBlock"] == "10.42.0.0/24" and "Public" not in isolated
    assert logical_id(resources, "AWS::EC2::Subnet", "/NotebookSubnet1/") == logical_id(
        direct, "AWS::EC2::Subnet", "/NotebookSubnet1/"
    )


def test_direct_mode_has_no_nat_or_internet_gateway(direct: dict) -> None:
    assert not of_type(direct, "AWS::EC2::NatGateway")
    assert not of_type(direct, "AWS::EC2::InternetGateway")


def test_the_default_zone_is_the_regions_first(resources: dict) -> None:
    default_zone = subnets_by_group(resources)["Notebook"]["AvailabilityZone"]
    assert default_zone == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}


def test_the_default_security_group_is_stripped(resources: dict) -> None:
    (restrict,) = of_type(resources, "Custom::VpcRestrictDefaultSG").values()
    vpc = logical_id(resources, "AWS::EC2::VPC", "/Vpc/")
    assert restrict["Properties"]["DefaultSecurityGroupId"] == {"Fn::GetAtt": [vpc, "DefaultSecurityGroup"]}


def test_the_log_bucket_policy_lets_flow_logs_deliver(resources: dict) -> None:
    """With @aws-cdk/aws-s3:createDefaultLoggingPolicy the template owns the statement EC2 would otherwise add."""
    policy = only_policy_of(resources, "/Storage/AccessLogs/")
    delivery = [s for s in policy if s.get("Principal") == {"Service": "delivery.logs.amazonaws.com"}]
    assert [s["Action"] for s in delivery] == ["s3:PutObject", ["s3:GetBucketAcl", "s3:ListBucket"]]
    delivery = delivery[0]
    assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in policy)


def only_policy_of(resources: dict, path_part: str) -> list[dict]:
    policy = resources[logical_id(resources, "AWS::S3::BucketPolicy", path_part)]
    return policy["Properties"]["PolicyDocument"]["Statement"]
