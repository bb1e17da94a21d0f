"""IAM as synthesized: two SageMaker roles, no action wildcards, every resource this stack's own, and conditions.

The conditions are evaluated with tests/infra/iam_conditions.py (moto has no policy simulator), against the
request the launcher sends: VolumeKmsKeyId and OutputDataConfig.KmsKeyId = the stack key's ARN (KmsKeyArn).
"""

import json

import pytest

from infra.instance_types import DEFAULT_TRAINING_INSTANCE_TYPES, has_local_storage
from infra.remote_debug import AGENT_CHANNELS, PORT_FORWARDING, TARGET_TAG
from tests.infra.helpers import as_list, logical_id, of_type, role_statements
from tests.infra.iam_conditions import allowed, training_job_context

RESOURCELESS = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "sagemaker:ListTrainingJobs", *AGENT_CHANNELS}
# SSM sessions: Resource * held to this stack's jobs by the target-id tag (tests/infra/test_template_remote_debug.py).
SESSIONS_INTO_JOBS = {"StringLike": {TARGET_TAG: ["sagemaker-training-job:ray-on-sagemaker-*"]}}
START = "sagemaker:CreateTrainingJob"


@pytest.fixture(scope="module")
def notebook_statements(resources: dict) -> list[dict]:
    return role_statements(resources, "NotebookRole")


@pytest.fixture(scope="module")
def training_statements(resources: dict) -> list[dict]:
    return role_statements(resources, "TrainingRole")


@pytest.fixture(scope="module")
def key_arn(resources: dict) -> dict:
    return {"Fn::GetAtt": [logical_id(resources, "AWS::KMS::Key", "/Encryption/"), "Arn"]}


def statements_with(statements: list[dict], action: str) -> list[dict]:
    return [s for s in statements if action in as_list(s["Action"])]


def job_request(key_arn: object, instance_type: str, volume_key: bool = True, output_key: object = None) -> dict:
    """The condition context of a CreateTrainingJob request shaped like the launcher's (fields it does not
    decide, such as the image and channels, set no condition key and are left out)."""
    resources = {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30}
    if volume_key:
        resources["VolumeKmsKeyId"] = key_arn
    request = {
        "TrainingJobName": "ray-on-sagemaker-train-20260101-120000",
        "ResourceConfig": resources,
        "OutputDataConfig": {"S3OutputPath": "s3://artifacts/output/", "KmsKeyId": output_key or key_arn},
        "EnableManagedSpotTraining": True,
    }
    return training_job_context(request)


def test_two_sagemaker_roles_trust_only_this_account_and_have_no_managed_policies(resources: dict) -> None:
    roles = {path: r for path, r in of_type(resources, "AWS::IAM::Role").items() if "Roles" in path}
    assert len(roles) == 2
    operators = set()
    for role in roles.values():
        assert "ManagedPolicyArns" not in role["Properties"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        ((operator, keys),) = trust["Condition"].items()
        assert keys == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        operators.add(operator)
    assert operators == {"StringEquals", "StringEqualsIfExists"}
    assert not of_type(resources, "AWS::IAM::ManagedPolicy")


def test_the_only_other_roles_are_cdks_default_security_group_handler_and_the_mlflow_apps(resources: dict) -> None:
    others = [r for path, r in of_type(resources, "AWS::IAM::Role").items() if "Roles" not in path]
    (handler,) = [r for r in others if "/Tracking/" not in r["Metadata"]["aws:cdk:path"]]
    assert len(others) == 2  # the other: the MLflow App's own role (tests/infra/test_template_tracking.py)
    assert "VpcRestrictDefaultSG" in handler["Metadata"]["aws:cdk:path"]
    (trust,) = handler["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


@pytest.mark.parametrize("role", ["NotebookRole", "TrainingRole"])
def test_no_action_wildcards_and_star_only_where_aws_allows_nothing_else(resources: dict, role: str) -> None:
    for statement in role_statements(resources, role):
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in as_list(statement["Action"])), statement
        if "*" in as_list(statement["Resource"]):
            by_tag = statement["Action"] == "ssm:StartSession" and statement["Condition"] == SESSIONS_INTO_JOBS
            assert set(as_list(statement["Action"])) <= RESOURCELESS or by_tag, statement


@pytest.mark.parametrize("role", ["NotebookRole", "TrainingRole"])
def test_resources_are_this_stacks_buckets_key_repository_logs_jobs_and_tagged_notebook(
    resources: dict, role: str
) -> None:
    own = {
        logical_id(resources, "AWS::S3::Bucket", "/Storage/Data/"),
        logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/"),
        logical_id(resources, "AWS::KMS::Key", "/Encryption/"),
        logical_id(resources, "AWS::ECR::Repository", "/Registry/"),
        logical_id(resources, "AWS::IAM::Role", "/TrainingRole/"),
        logical_id(resources, "AWS::SageMaker::MlflowApp", "/Tracking/"),
    }
    for statement in role_statements(resources, role):
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            by_name = any(
                marker in text
                for marker in (
                    'log-group:/aws/sagemaker/TrainingJobs:*"',
                    'log-group:/aws/sagemaker/NotebookInstances:*"',
                    'training-job/ray-on-sagemaker-*"',
                    f':document/{PORT_FORWARDING}"',
                    ':session/${aws:userid}-*"',
                )
            )
            by_tag = text.endswith(':notebook-instance/*"]]}') and statement["Condition"] == {
                "StringEquals": {"aws:ResourceTag/ray-on-sagemaker:stack": "ray-on-sagemaker"}
            }
            # The project asset the notebook fetches (one object of CDK's bootstrap bucket), and this stack itself.
            by_id = resource == {"Ref": "AWS::StackId"} or (
                "cdk-hnb659fds-assets-" in text and text.endswith('.zip"]]}')
            )
            assert resource == "*" or by_name or by_tag or by_id or any(f'"{lid}"' in text for lid in own), resource


@pytest.mark.parametrize("role", ["NotebookRole", "TrainingRole"])
def test_log_group_arns_use_the_trailing_colon_star_form(resources: dict, role: str) -> None:
    resources_of_role = [r for s in role_statements(resources, role) for r in as_list(s["Resource"])]
    logs = [r for r in resources_of_role if ":log-group:" in json.dumps(r)]
    assert logs
    assert all(json.dumps(r).endswith(':*"]]}') and "log-stream" not in json.dumps(r) for r in logs)


def test_notebook_may_pass_only_the_training_role_and_only_to_sagemaker(
    resources: dict, notebook_statements: list
) -> None:
    (passing,) = statements_with(notebook_statements, "iam:PassRole")
    training_role = logical_id(resources, "AWS::IAM::Role", "/TrainingRole/")
    assert passing["Resource"] == {"Fn::GetAtt": [training_role, "Arn"]}
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_training_role_cannot_pass_roles_or_start_jobs(training_statements: list) -> None:
    assert not statements_with(training_statements, "iam:PassRole")
    sagemaker = {a for s in training_statements for a in as_list(s["Action"]) if a.startswith("sagemaker:")}
    assert sagemaker == {"sagemaker:DescribeMlflowApp"}  # to find the stack's MLflow App, nothing that starts jobs


def test_training_job_actions_are_scoped_to_the_job_name_prefix(notebook_statements: list) -> None:
    (jobs,) = statements_with(notebook_statements, "sagemaker:DescribeTrainingJob")
    assert {"sagemaker:StopTrainingJob", "sagemaker:AddTags"} <= set(jobs["Action"])
    assert START not in jobs["Action"]
    for statement in [jobs, *statements_with(notebook_statements, START)]:
        assert json.dumps(statement["Resource"]).endswith(':training-job/ray-on-sagemaker-*"]]}')


def test_notebook_may_describe_and_stop_only_notebooks_tagged_with_its_stack(notebook_statements: list) -> None:
    (own,) = statements_with(notebook_statements, "sagemaker:StopNotebookInstance")
    assert own["Action"] == ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"]
    assert own["Condition"] == {"StringEquals": {"aws:ResourceTag/ray-on-sagemaker:stack": "ray-on-sagemaker"}}


def test_the_launchers_request_passes_on_every_allowed_instance_type(notebook_statements: list, key_arn) -> None:
    for instance_type in DEFAULT_TRAINING_INSTANCE_TYPES:
        local = has_local_storage(instance_type)
        request = job_request(key_arn, instance_type, volume_key=not local)
        assert allowed(notebook_statements, START, request), instance_type


@pytest.mark.parametrize(
    ("why", "instance_type", "volume_key", "output_key"),
    [
        ("no volume key on an EBS-backed type", "ml.m5.xlarge", False, None),
        ("another key for the output", "ml.m5.xlarge", True, "arn:aws:kms:us-east-1:123456789012:key/other"),
        ("an instance type not on the list", "ml.p4d.24xlarge", False, None),
        ("a volume key where SageMaker would refuse one", "ml.g5.xlarge", True, None),
    ],
)
def test_create_training_job_is_refused(
    notebook_statements: list, key_arn, why: str, instance_type: str, volume_key: bool, output_key
) -> None:
    request = job_request(key_arn, instance_type, volume_key, output_key)
    assert not allowed(notebook_statements, START, request), why


def test_a_request_without_an_output_key_or_instance_types_is_refused(notebook_statements: list, key_arn) -> None:
    assert not allowed(notebook_statements, START, {"sagemaker:VolumeKmsKey": key_arn})
    without_output = {"ResourceConfig": {"InstanceType": "ml.m5.xlarge", "VolumeKmsKeyId": key_arn}}
    assert not allowed(notebook_statements, START, training_job_context(without_output))


def test_a_heterogeneous_cluster_needs_every_group_on_the_list(notebook_statements: list, key_arn) -> None:
    def groups(*types: str) -> dict:
        resources = {"InstanceGroups": [{"InstanceType": t} for t in types], "VolumeKmsKeyId": key_arn}
        return training_job_context({"ResourceConfig": resources, "OutputDataConfig": {"KmsKeyId": key_arn}})

    assert allowed(notebook_statements, START, groups("ml.m5.xlarge", "ml.c5.2xlarge"))
    assert not allowed(notebook_statements, START, groups("ml.m5.xlarge", "ml.m5.24xlarge"))


def test_training_role_reads_data_but_cannot_change_it(resources: dict, training_statements: list) -> None:
    data = logical_id(resources, "AWS::S3::Bucket", "/Storage/Data/")
    artifacts = logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/")
    writes = json.dumps(statements_with(training_statements, "s3:PutObject"))
    reads = json.dumps(statements_with(training_statements, "s3:GetObject"))
    assert data in reads and artifacts in reads
    assert artifacts in writes and data not in writes


def via(*services: str) -> list[dict]:
    return [{"Fn::Join": ["", [f"{s}.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]} for s in services]


def test_the_key_is_used_only_through_aws_services(notebook_statements: list, training_statements: list) -> None:
    for statements in (notebook_statements, training_statements):
        (use,) = statements_with(statements, "kms:Decrypt")
        assert use["Condition"] == {"StringEquals": {"kms:ViaService": via("s3", "sagemaker", "ecr")}}
        (grant,) = statements_with(statements, "kms:CreateGrant")
        assert grant["Condition"] == {
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"kms:ViaService": via("sagemaker", "ec2", "ecr")},
        }


def test_metrics_are_limited_to_the_sagemaker_training_namespace(training_statements: list) -> None:
    (metrics,) = statements_with(training_statements, "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}}


def test_only_the_notebook_may_push_images(notebook_statements: list, training_statements: list) -> None:
    assert statements_with(notebook_statements, "ecr:PutImage")
    assert not statements_with(training_statements, "ecr:PutImage")
    assert statements_with(training_statements, "ecr:BatchGetImage")
