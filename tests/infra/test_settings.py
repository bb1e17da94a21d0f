"""Settings from CDK context: defaults that deploy, parsing of `-c key=value` strings, one-sentence errors."""

import botocore.loaders
import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from infra.app import build_app
from infra.instance_types import AL2023_UNSUPPORTED_FAMILIES, DEFAULT_TRAINING_INSTANCE_TYPES, family
from infra.lifecycle import MAX_CONTENT_CHARS
from infra.permissions import STACK_TAG
from infra.settings import InfraSettings, SettingsError
from infra.stack_names import JOB_NAME_PREFIX, PROJECT
from tests.infra.helpers import cli_context, nag_findings, of_type, only, role_statements, run_make, synthesize

BAD = [
    ("instanceType", "m5.4xlarge"),
    ("instanceType", "ml.m5"),
    ("volumeSizeGb", "4"),
    ("volumeSizeGb", "big"),
    ("networkMode", "public"),
    ("platform", "notebook-al2-v2"),
    ("platform", "notebook-al2023-v2"),
    ("instanceType", "ml.p3.2xlarge"),
    ("instanceType", "ml.inf1.xlarge"),
    ("availabilityZone", "us-east-1"),
    ("repositoryName", "Ray_Training"),
    ("trainingInstanceTypes", "m5.xlarge"),
    ("trainingInstanceTypes", " , "),
    ("restrictDefaultSecurityGroup", "no"),
    ("idleStopMinutes", "-1"),
    ("removalPolicy", "snapshot"),
    ("namePrefix", "Ray_On_SageMaker"),
    ("rootAccess", "yes"),
    ("keepImages", "0"),
    ("checkpointDays", "0"),
]
OVERRIDES = {
    "instanceType": "ml.g5.xlarge",
    "volumeSizeGb": "100",
    "networkMode": "direct",
    "idleStopMinutes": "0",
    "removalPolicy": "destroy",
    "namePrefix": "team-a",
    "rootAccess": "true",
    "keepImages": "5",
    "checkpointDays": "7",
    "availabilityZone": "us-west-2b",
    "repositoryName": "team-a-training",
    "trainingInstanceTypes": "ml.c5.xlarge, ml.g5.xlarge",
    "restrictDefaultSecurityGroup": "false",
}


def test_defaults_are_the_documented_ones() -> None:
    settings = InfraSettings.from_context({}.get)
    assert settings == InfraSettings(
        instance_type="ml.m5.4xlarge",
        volume_size_gb=50,
        platform="notebook-al2023-v1",
        network_mode="private",
        idle_stop_minutes=60,
        removal_policy="retain",
        name_prefix=PROJECT,
        root_access=False,
        keep_images=20,
        checkpoint_days=30,
        availability_zone="",
        repository_name="",
        training_instance_types=DEFAULT_TRAINING_INSTANCE_TYPES,
        restrict_default_security_group=True,
    )
    assert settings.job_name_prefix == f"{PROJECT}-"


def test_context_strings_are_parsed_into_typed_values() -> None:
    settings = InfraSettings.from_context(OVERRIDES.get)
    assert (settings.volume_size_gb, settings.root_access, settings.keep_images) == (100, True, 5)
    assert settings.training_instance_types == ("ml.c5.xlarge", "ml.g5.xlarge")
    assert InfraSettings.from_context({"trainingInstanceTypes": ["ml.m5.xlarge"]}.get).training_instance_types == (
        "ml.m5.xlarge",
    )
    assert InfraSettings.from_context({"volumeSizeGb": 80, "rootAccess": False}.get).volume_size_gb == 80


@pytest.mark.parametrize(("key", "value"), BAD)
def test_a_bad_setting_fails_with_one_sentence_naming_it(key: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        InfraSettings.from_context({key: value}.get)
    message = str(raised.value)
    assert message.startswith(f"{key} must be ")
    assert ". " not in message and "\n" not in message and not message.endswith(".")
    assert message.endswith((f", got '{value}'", f", got {value}")) or not value.strip(" ,"), message


def test_the_app_refuses_to_build_with_a_bad_setting() -> None:
    with pytest.raises(SettingsError, match="^networkMode must be one of private, direct, got 'public'$"):
        build_app({**cli_context(), "networkMode": "public"})


def test_cdk_synth_exits_non_zero_and_prints_the_sentence(cli_env: dict[str, str], tmp_path) -> None:
    result = run_make("synth", cli_env, f"CDK_OUT={tmp_path}", "CDK_ARGS=-c volumeSizeGb=4")
    assert result.returncode != 0
    assert "Error: volumeSizeGb must be between 5 and 16384, got 4\n" in result.stderr
    assert "Traceback" not in result.stderr
    assert "end-of-life" not in result.stdout + result.stderr, "the CLI and jsii must run on the pinned Node 22"


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory):
    """The stack synthesized with every setting changed from its default (direct network mode included)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out.overrides"), **OVERRIDES)


def test_overrides_reach_the_notebook(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    notebook = only(resources, "AWS::SageMaker::NotebookInstance")["Properties"]
    assert {"Key": STACK_TAG, "Value": "team-a"} in notebook["Tags"]
    assert (notebook["InstanceType"], notebook["VolumeSizeInGB"]) == ("ml.g5.xlarge", 100)
    assert (notebook["RootAccess"], notebook["DirectInternetAccess"]) == ("Enabled", "Enabled")


def test_direct_mode_has_no_nat_gateway_and_an_isolated_subnet_in_the_chosen_zone(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    assert not of_type(resources, "AWS::EC2::NatGateway")
    assert not of_type(resources, "AWS::EC2::InternetGateway")
    (subnet,) = of_type(resources, "AWS::EC2::Subnet").values()
    assert subnet["Properties"]["AvailabilityZone"] == "us-west-2b"


def test_the_default_security_group_handler_can_be_switched_off(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    assert not of_type(resources, "Custom::VpcRestrictDefaultSG")
    assert not of_type(resources, "AWS::Lambda::Function")


def test_training_types_reach_the_create_training_job_conditions(overridden) -> None:
    statements = role_statements(overridden.template.to_json()["Resources"], "NotebookRole")
    starts = [s for s in statements if s["Action"] == "sagemaker:CreateTrainingJob"]
    types = [s["Condition"]["ForAllValues:StringEquals"]["sagemaker:InstanceTypes"] for s in starts]
    assert types == [["ml.c5.xlarge"], ["ml.g5.xlarge"]]


def test_destroy_policy_and_names_follow_the_settings(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    assert {r["DeletionPolicy"] for r in of_type(resources, "AWS::S3::Bucket").values()} == {"Delete"}
    assert only(resources, "AWS::ECR::Repository")["Properties"]["RepositoryName"] == "team-a-training"
    assert overridden.template.to_json()["Outputs"][JOB_NAME_PREFIX]["Value"] == "team-a-"


def test_direct_mode_is_excused_on_the_notebook_only_and_otherwise_nag_clean(overridden) -> None:
    assert nag_findings(overridden.stack, "error") == []
    assert nag_findings(overridden.stack, "warning") == []
    notebook = only(overridden.template.to_json()["Resources"], "AWS::SageMaker::NotebookInstance")
    (rule,) = notebook["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert rule["id"] == "AwsSolutions-SM3" and "networkMode=direct" in rule["reason"]


@pytest.fixture(scope="module")
def notebook_schema() -> dict:
    """CloudFormation's own resource schema for the notebook, as cfn-lint ships it."""
    return PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SageMaker::NotebookInstance").schema


def test_platforms_accepted_are_exactly_the_amazon_linux_2023_ones_cloudformation_allows(notebook_schema) -> None:
    allowed = notebook_schema["properties"]["PlatformIdentifier"]["pattern"].strip("^$()").split("|")
    for platform in [*allowed, "notebook-al2023-v2", "notebook-al2023-v9"]:
        accepted = _accepts("platform", platform)
        assert accepted == (platform in allowed and "al2023" in platform), platform


def test_notebook_types_accepted_are_cloudformations_minus_what_al2023_lacks(notebook_schema) -> None:
    for instance_type in notebook_schema["properties"]["InstanceType"]["enum"]:
        expected = family(instance_type) not in AL2023_UNSUPPORTED_FAMILIES
        assert _accepts("instanceType", instance_type) == expected, instance_type


def test_the_lifecycle_limit_is_cloudformations(notebook_schema) -> None:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SageMaker::NotebookInstanceLifecycleConfig")
    assert schema.schema["definitions"]["NotebookInstanceLifecycleHook"]["properties"]["Content"]["maxLength"] == (
        MAX_CONTENT_CHARS
    )


def test_default_training_types_are_ones_the_sagemaker_api_lists_for_training() -> None:
    model = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    assert set(DEFAULT_TRAINING_INSTANCE_TYPES) <= set(model["shapes"]["TrainingInstanceType"]["enum"])


def _accepts(key: str, value: str) -> bool:
    try:
        InfraSettings.from_context({key: value}.get)
    except SettingsError:
        return False
    return True
