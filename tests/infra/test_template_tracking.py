"""The MLflow App: artifacts under the artifacts bucket's mlflow/ prefix, least-privilege roles, its output."""

import pytest

from infra import stack_names
from infra.settings import InfraSettings, SettingsError
from infra.tracking import ARTIFACTS_PREFIX, LOG_TO_MLFLOW, OPEN_UI
from tests.infra.helpers import as_list, logical_id, of_type, only, role_statements, synthesize


def _app_arn(resources: dict) -> dict:
    return {"Fn::GetAtt": [logical_id(resources, "AWS::SageMaker::MlflowApp", "/Tracking/"), "Arn"]}


def test_the_app_stores_artifacts_under_its_prefix_of_the_artifacts_bucket(resources: dict) -> None:
    app = only(resources, "AWS::SageMaker::MlflowApp")["Properties"]
    bucket = logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/")
    assert app["ArtifactStoreUri"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, f"/{ARTIFACTS_PREFIX}"]]}
    assert app["Name"] == "ray-on-sagemaker-mlflow"
    assert app["RoleArn"] == {"Fn::GetAtt": [logical_id(resources, "AWS::IAM::Role", "/Tracking/ServiceRole/"), "Arn"]}


def test_the_apps_role_reaches_only_its_prefix_and_the_key_through_s3(resources: dict) -> None:
    statements = role_statements(resources, "ServiceRole")
    bucket = logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/")
    resources_named = [str(s["Resource"]) for s in statements]
    assert all("mlflow/*" in named or bucket in named or "Encryption" in named for named in resources_named)
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/*"]}}
    key = next(s for s in statements if "kms:Decrypt" in as_list(s["Action"]))
    assert "kms:ViaService" in key["Condition"]["StringEquals"]
    role = resources[logical_id(resources, "AWS::IAM::Role", "/Tracking/ServiceRole/")]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"} and "aws:SourceAccount" in str(statement)


@pytest.mark.parametrize("role, actions", [("TrainingRole", LOG_TO_MLFLOW), ("NotebookRole", LOG_TO_MLFLOW + OPEN_UI)])
def test_the_roles_use_this_one_app_only(resources: dict, role: str, actions: list[str]) -> None:
    mlflow = [s for s in role_statements(resources, role) if any("mlflow" in a.lower() for a in as_list(s["Action"]))]
    assert len(mlflow) == 1
    assert sorted(as_list(mlflow[0]["Action"])) == sorted(actions)
    assert mlflow[0]["Resource"] == _app_arn(resources)


def test_the_output_names_the_app(template, resources: dict) -> None:
    assert template.to_json()["Outputs"][stack_names.MLFLOW_APP]["Value"] == _app_arn(resources)


def test_mlflow_off_leaves_no_app_output_or_permission(tmp_path) -> None:
    resources = synthesize(tmp_path, mlflow="false").template.to_json()
    assert not of_type(resources["Resources"], "AWS::SageMaker::MlflowApp")
    assert stack_names.MLFLOW_APP not in resources["Outputs"]
    assert "sagemaker-mlflow" not in str(resources["Resources"])


def test_the_setting_is_a_boolean() -> None:
    assert InfraSettings.from_context({"mlflow": "false"}.get).mlflow is False
    with pytest.raises(SettingsError, match="^mlflow must be true or false"):
        InfraSettings.from_context({"mlflow": "maybe"}.get)
