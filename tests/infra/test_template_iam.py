"""IAM as synthesized: two roles, no managed policies, no action wildcards, every resource this stack's own."""

import json

import pytest

from tests.infra.helpers import as_list, logical_id, of_type, role_statements

RESOURCELESS = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}


@pytest.fixture(scope="module")
def notebook_statements(resources: dict) -> list[dict]:
    return role_statements(resources, "NotebookRole")


@pytest.fixture(scope="module")
def training_statements(resources: dict) -> list[dict]:
    return role_statements(resources, "TrainingRole")


def statements_with(statements: list[dict], action: str) -> list[dict]:
    return [s for s in statements if action in as_list(s["Action"])]


def test_two_roles_assumed_by_sagemaker_without_managed_policies(resources: dict) -> None:
    roles = of_type(resources, "AWS::IAM::Role").values()
    assert len(roles) == 2
    for role in roles:
        assert "ManagedPolicyArns" not in role["Properties"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert not of_type(resources, "AWS::IAM::ManagedPolicy")


@pytest.mark.parametrize("role", ["NotebookRole", "TrainingRole"])
def test_no_action_wildcards_and_star_only_where_aws_allows_nothing_else(resources: dict, role: str) -> None:
    for statement in role_statements(resources, role):
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in as_list(statement["Action"])), statement
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= RESOURCELESS, statement


@pytest.mark.parametrize("role", ["NotebookRole", "TrainingRole"])
def test_resources_are_this_stacks_buckets_key_repository_logs_and_jobs(resources: dict, role: str) -> None:
    own = {
        logical_id(resources, "AWS::S3::Bucket", "/Storage/Data/"),
        logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/"),
        logical_id(resources, "AWS::KMS::Key", "/Encryption/"),
        logical_id(resources, "AWS::ECR::Repository", "/Registry/"),
        logical_id(resources, "AWS::IAM::Role", "/TrainingRole/"),
    }
    for statement in role_statements(resources, role):
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            scoped_by_name = any(
                marker in text
                for marker in (
                    "log-group:/aws/sagemaker/TrainingJobs",
                    "log-group:/aws/sagemaker/NotebookInstances",
                    "training-job/ray-on-sagemaker-*",
                    "notebook-instance/ray-on-sagemaker-notebook",
                )
            )
            assert resource == "*" or scoped_by_name or any(f'"{lid}"' in text for lid in own), resource


def test_notebook_may_pass_only_the_training_role_and_only_to_sagemaker(
    resources: dict, notebook_statements: list
) -> None:
    (passing,) = statements_with(notebook_statements, "iam:PassRole")
    training_role = logical_id(resources, "AWS::IAM::Role", "/TrainingRole/")
    assert passing["Resource"] == {"Fn::GetAtt": [training_role, "Arn"]}
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_training_role_cannot_pass_roles_or_start_jobs(training_statements: list) -> None:
    assert not statements_with(training_statements, "iam:PassRole")
    assert not [s for s in training_statements if any(a.startswith("sagemaker:") for a in as_list(s["Action"]))]


def test_training_job_actions_are_scoped_to_the_job_name_prefix(notebook_statements: list) -> None:
    (jobs,) = statements_with(notebook_statements, "sagemaker:CreateTrainingJob")
    assert {"sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"} <= set(jobs["Action"])
    assert json.dumps(jobs["Resource"]).endswith(':training-job/ray-on-sagemaker-*"]]}')


def test_notebook_may_stop_only_itself(notebook_statements: list) -> None:
    (own,) = statements_with(notebook_statements, "sagemaker:StopNotebookInstance")
    assert json.dumps(own["Resource"]).endswith(':notebook-instance/ray-on-sagemaker-notebook"]]}')


def test_training_role_reads_data_but_cannot_change_it(resources: dict, training_statements: list) -> None:
    data = logical_id(resources, "AWS::S3::Bucket", "/Storage/Data/")
    artifacts = logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/")
    writes = json.dumps(statements_with(training_statements, "s3:PutObject"))
    reads = json.dumps(statements_with(training_statements, "s3:GetObject"))
    assert data in reads and artifacts in reads
    assert artifacts in writes and data not in writes


def test_kms_grants_only_for_aws_services(notebook_statements: list, training_statements: list) -> None:
    for statements in (notebook_statements, training_statements):
        (grant,) = statements_with(statements, "kms:CreateGrant")
        assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_metrics_are_limited_to_the_sagemaker_training_namespace(training_statements: list) -> None:
    (metrics,) = statements_with(training_statements, "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}}


def test_only_the_notebook_may_push_images(notebook_statements: list, training_statements: list) -> None:
    assert statements_with(notebook_statements, "ecr:PutImage")
    assert not statements_with(training_statements, "ecr:PutImage")
    assert statements_with(training_statements, "ecr:BatchGetImage")
