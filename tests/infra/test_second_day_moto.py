"""The second day on moto: `make destroy` then `make deploy` again, and a `networkMode` change as an update.

A stack of its own (namePrefix=second-day) on the session's moto_server, so the shared stack stays as it is.
The whole story runs once in a module fixture (each CDK deploy on moto costs about a minute) and the tests
read what it recorded. moto stands in for CloudFormation with two limits, handled here, not hidden:
- it needs an explicit ECR repository name (on AWS CloudFormation generates one), so each deploy passes the
  name CloudFormation would have made unique, as a different name;
- it deletes neither the VPC's gateway endpoint nor its flow log, so the VPC stays and `cdk destroy` reports
  a failure although the stack is gone; the test asserts exactly that, and that the next deploy succeeds;
- its update keeps the notebook's physical id where CloudFormation replaces the notebook, so that replacement
  is proven on the template instead (test_template_replacement.py, against CloudFormation's create-only list).
"""

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from infra import stack_names
from infra.permissions import STACK_TAG
from tests.aws_fixtures import cli_env_for_moto, moto_args
from tests.infra.helpers import run_make

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = "second-day"
DEPLOY_SECONDS = 600


@dataclass
class Story:
    """What each step of the second day returned: make's results and the stack's outputs after each deploy."""

    outputs: list[dict[str, str]] = field(default_factory=list)
    destroy: subprocess.CompletedProcess | None = None
    status_after_destroy: str = ""
    update_status: str = ""
    stack_resources: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def env(cli_env: dict[str, str], moto_endpoint: str) -> dict[str, str]:
    return cli_env_for_moto(cli_env, moto_endpoint, REGION)


@pytest.fixture(scope="module")
def client(env: dict[str, str]):
    """boto3 clients bound to moto_server."""
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return lambda service: boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION, **keys)


def stack_status(client) -> str:
    """The stack's status, or DELETE_COMPLETE once CloudFormation no longer knows it by name."""
    try:
        return client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    except ClientError:
        return "DELETE_COMPLETE"


def resource_types(client) -> list[str]:
    summaries = client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return sorted(r["ResourceType"] for r in summaries)


@pytest.fixture(scope="module")
def story(env: dict[str, str], client, tmp_path_factory: pytest.TempPathFactory) -> Story:
    """Deploy, destroy, deploy again with the same settings, then switch networkMode to direct and deploy."""
    work = tmp_path_factory.mktemp("second-day")
    where = [f"CDK_OUT={work / 'cdk.out'}", f"CDK_OUTPUTS={work / 'outputs.json'}"]
    toolkits = client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])
    if "CDKToolkit" not in [s["StackName"] for s in toolkits["StackSummaries"]]:
        bootstrap = run_make("bootstrap", env, *where, f"CDK_ARGS=aws://{ACCOUNT}/{REGION}")
        assert bootstrap.returncode == 0, bootstrap.stdout + bootstrap.stderr
    story = Story()

    def deploy(repository: str, **settings: str) -> None:
        args = moto_args(repository, namePrefix=STACK, **settings)
        result = run_make("deploy", env, *where, args, timeout=DEPLOY_SECONDS)
        assert result.returncode == 0, result.stdout + result.stderr
        story.outputs.append(json.loads(Path(work / "outputs.json").read_text(encoding="utf-8"))[STACK])
        story.stack_resources[settings.get("networkMode", "private")] = resource_types(client)

    deploy(f"{STACK}-first")
    story.destroy = run_make("destroy", env, *where, f"CDK_ARGS=-c namePrefix={STACK}", timeout=DEPLOY_SECONDS)
    story.status_after_destroy = stack_status(client)
    deploy(f"{STACK}-second")
    deploy(f"{STACK}-second", networkMode="direct")
    story.update_status = stack_status(client)
    return story


def test_destroy_removes_the_stack_and_keeps_the_retained_data(story: Story, client) -> None:
    assert story.status_after_destroy == "DELETE_COMPLETE"
    first = story.outputs[0]
    s3 = client("s3")
    for output in (stack_names.DATA_BUCKET, stack_names.ARTIFACTS_BUCKET):
        s3.head_bucket(Bucket=first[output])
    repositories = client("ecr").describe_repositories()["repositories"]
    assert f"{STACK}-first" in [r["repositoryName"] for r in repositories]


def test_retained_buckets_are_found_by_the_stack_tag_and_name_their_key(story: Story, client) -> None:
    """docs/stack.md's way back to the old data: the tag finds the buckets, a bucket's encryption names the key."""
    first = story.outputs[0]
    tagged = client("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": STACK_TAG, "Values": [STACK]}], ResourceTypeFilters=["s3"]
    )["ResourceTagMappingList"]
    arns = {mapping["ResourceARN"] for mapping in tagged}
    buckets = (first[stack_names.DATA_BUCKET], first[stack_names.ARTIFACTS_BUCKET])
    assert {f"arn:aws:s3:::{bucket}" for bucket in buckets} <= arns
    rule = client("s3").get_bucket_encryption(Bucket=buckets[0])["ServerSideEncryptionConfiguration"]
    assert rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == first[stack_names.KMS_KEY]


def test_moto_reports_the_destroy_as_failed_only_because_it_keeps_the_vpc(story: Story) -> None:
    """On AWS the destroy completes; moto leaves the VPC (gateway endpoint and flow log not deleted)."""
    assert story.destroy.returncode != 0
    assert "has dependencies and cannot be deleted" in story.destroy.stdout + story.destroy.stderr


def test_deploy_again_with_the_same_settings_succeeds_with_fresh_resources(story: Story) -> None:
    first, second = story.outputs[0], story.outputs[1]
    assert sorted(first) == sorted(second)
    replaced = (stack_names.DATA_BUCKET, stack_names.ARTIFACTS_BUCKET, stack_names.NOTEBOOK_NAME, stack_names.KMS_KEY)
    for output in replaced:
        assert second[output] != first[output], output


def test_changing_network_mode_is_an_update_that_keeps_the_data(story: Story) -> None:
    assert story.update_status == "UPDATE_COMPLETE"
    before, after = story.outputs[1], story.outputs[2]
    kept = (
        stack_names.DATA_BUCKET,
        stack_names.ARTIFACTS_BUCKET,
        stack_names.KMS_KEY,
        stack_names.REPOSITORY_URI,
        stack_names.TRAINING_ROLE,
    )
    for output in kept:
        assert after[output] == before[output], output


def test_direct_mode_drops_the_nat_gateway(story: Story) -> None:
    assert "AWS::EC2::NatGateway" in story.stack_resources["private"]
    assert "AWS::EC2::NatGateway" not in story.stack_resources["direct"]
    assert "AWS::SageMaker::NotebookInstance" in story.stack_resources["direct"]
