"""Settings from CDK context: defaults that deploy, parsing of `-c key=value` strings, one-sentence errors."""

import pytest

from infra.app import build_app
from infra.settings import InfraSettings, SettingsError
from tests.infra.helpers import cli_context, nag_findings, of_type, only, run_make, synthesize

BAD = [
    ("instanceType", "m5.4xlarge"),
    ("instanceType", "ml.m5"),
    ("volumeSizeGb", "4"),
    ("volumeSizeGb", "big"),
    ("networkMode", "public"),
    ("platform", "notebook-al2-v2"),
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
        name_prefix="ray-on-sagemaker",
        root_access=False,
        keep_images=20,
        checkpoint_days=30,
    )
    assert settings.job_name_prefix == "ray-on-sagemaker-"


def test_context_strings_are_parsed_into_typed_values() -> None:
    settings = InfraSettings.from_context(OVERRIDES.get)
    assert (settings.volume_size_gb, settings.root_access, settings.keep_images) == (100, True, 5)
    assert InfraSettings.from_context({"volumeSizeGb": 80, "rootAccess": False}.get).volume_size_gb == 80


@pytest.mark.parametrize(("key", "value"), BAD)
def test_a_bad_setting_fails_with_one_sentence_naming_it(key: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        InfraSettings.from_context({key: value}.get)
    message = str(raised.value)
    assert message.startswith(f"Setting {key} must be ")
    assert message.endswith(".") and ". " not in message and "\n" not in message


def test_the_app_refuses_to_build_with_a_bad_setting() -> None:
    with pytest.raises(SettingsError, match="Setting networkMode must be one of private, direct, got 'public'."):
        build_app({**cli_context(), "networkMode": "public"})


def test_cdk_synth_exits_non_zero_and_prints_the_sentence(cli_env: dict[str, str], tmp_path) -> None:
    result = run_make("synth", cli_env, f"CDK_OUT={tmp_path}", "CDK_ARGS=-c volumeSizeGb=4")
    assert result.returncode != 0
    assert "Error: Setting volumeSizeGb must be between 5 and 16384, got 4." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory):
    """The stack synthesized with every setting changed from its default (direct network mode included)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out.overrides"), **OVERRIDES)


def test_overrides_reach_the_notebook(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    notebook = only(resources, "AWS::SageMaker::NotebookInstance")["Properties"]
    assert notebook["NotebookInstanceName"] == "team-a-notebook"
    assert (notebook["InstanceType"], notebook["VolumeSizeInGB"]) == ("ml.g5.xlarge", 100)
    assert (notebook["RootAccess"], notebook["DirectInternetAccess"]) == ("Enabled", "Enabled")


def test_direct_mode_has_no_nat_gateway_and_an_isolated_subnet(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    assert not of_type(resources, "AWS::EC2::NatGateway")
    assert not of_type(resources, "AWS::EC2::InternetGateway")
    assert len(of_type(resources, "AWS::EC2::Subnet")) == 1


def test_destroy_policy_and_names_follow_the_settings(overridden) -> None:
    resources = overridden.template.to_json()["Resources"]
    assert {r["DeletionPolicy"] for r in of_type(resources, "AWS::S3::Bucket").values()} == {"Delete"}
    assert only(resources, "AWS::ECR::Repository")["Properties"]["RepositoryName"] == "team-a-training"
    assert overridden.template.to_json()["Outputs"]["JobNamePrefix"]["Value"] == "team-a-"


def test_direct_mode_is_excused_on_the_notebook_only_and_otherwise_nag_clean(overridden) -> None:
    assert nag_findings(overridden.stack, "error") == []
    assert nag_findings(overridden.stack, "warning") == []
    notebook = only(overridden.template.to_json()["Resources"], "AWS::SageMaker::NotebookInstance")
    (rule,) = notebook["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert rule["id"] == "AwsSolutions-SM3" and "networkMode=direct" in rule["reason"]
