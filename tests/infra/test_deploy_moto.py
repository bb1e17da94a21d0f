"""End to end: `make bootstrap` and `make deploy` against moto_server, then the deployed resources via boto3.

Only credentials and the endpoint differ from a real deploy, so this exercises the user's own path:
the pinned CLI, cdk.json, the app, `--method=direct` and the outputs file.
"""

import base64
import io
import re
import zipfile

from infra import stack_names
from tests.aws_fixtures import ACCOUNT, REGION


def test_outputs_file_has_every_documented_output(deployed: dict[str, str]) -> None:
    assert sorted(deployed) == sorted(stack_names.ALWAYS)
    assert deployed[stack_names.REGION] == REGION
    assert deployed[stack_names.JOB_NAME_PREFIX] == "ray-on-sagemaker-"
    assert deployed[stack_names.REPOSITORY_URI] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ray-on-sagemaker-training"
    assert deployed[stack_names.NOTEBOOK_URL].startswith(f"https://{REGION}.console.aws.amazon.com/sagemaker/")
    assert deployed[stack_names.NOTEBOOK_URL].endswith(f"/openNotebook/{deployed[stack_names.NOTEBOOK_NAME]}?view=lab")


def test_buckets_exist_encrypted_with_the_stack_key(deployed: dict[str, str], aws) -> None:
    """moto applies bucket encryption from the template (versioning and public access are checked in the template)."""
    s3 = aws("s3")
    for output in (stack_names.DATA_BUCKET, stack_names.ARTIFACTS_BUCKET):
        rule = s3.get_bucket_encryption(Bucket=deployed[output])["ServerSideEncryptionConfiguration"]["Rules"][0]
        default = rule["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        assert default["KMSMasterKeyID"] == deployed[stack_names.KMS_KEY]


def test_kms_key_exists_under_its_alias(deployed: dict[str, str], aws) -> None:
    """Found through its alias: moto stores a template's key policy unparsed and fails DescribeKey on it."""
    aliases = {a["AliasName"]: a["TargetKeyId"] for a in aws("kms").list_aliases()["Aliases"]}
    assert deployed[stack_names.KMS_KEY].endswith(f"/{aliases['alias/ray-on-sagemaker']}")


def test_repository_exists_with_immutable_tags(deployed: dict[str, str], aws) -> None:
    """Scan-on-push, encryption and lifecycle are checked in the template (moto keeps them in template casing)."""
    repository = aws("ecr").describe_repositories(repositoryNames=["ray-on-sagemaker-training"])["repositories"][0]
    assert repository["repositoryUri"] == deployed[stack_names.REPOSITORY_URI]
    assert repository["imageTagMutability"] == "IMMUTABLE"


def test_training_role_is_assumable_by_sagemaker(deployed: dict[str, str], aws) -> None:
    role = aws("iam").get_role(RoleName=deployed[stack_names.TRAINING_ROLE].split("/")[-1])["Role"]
    assert role["Arn"] == deployed[stack_names.TRAINING_ROLE]
    principals = [s["Principal"]["Service"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    assert principals == ["sagemaker.amazonaws.com"]


def test_notebook_exists_with_the_notebook_role(deployed: dict[str, str], aws) -> None:
    """moto keeps only the instance type and role of a template's notebook (the rest is checked in the template)."""
    notebook = aws("sagemaker").describe_notebook_instance(NotebookInstanceName=deployed[stack_names.NOTEBOOK_NAME])
    assert notebook["InstanceType"] == "ml.m5.4xlarge"
    role = aws("iam").get_role(RoleName=notebook["RoleArn"].split("/")[-1])["Role"]
    assert "NotebookRole" in role["RoleName"]


def test_lifecycle_configuration_fetches_the_project_that_the_deploy_published(aws) -> None:
    """Found through the stack's resources: moto names a template's lifecycle configuration itself."""
    summaries = aws("cloudformation").list_stack_resources(StackName="ray-on-sagemaker")["StackResourceSummaries"]
    (arn,) = [
        r["PhysicalResourceId"]
        for r in summaries
        if r["ResourceType"] == "AWS::SageMaker::NotebookInstanceLifecycleConfig"
    ]
    config = aws("sagemaker").describe_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=arn.split("/")[-1]
    )
    script = base64.b64decode(config["OnStart"][0]["Content"]).decode("utf-8")
    bucket, key = re.search(r"^PROJECT_ASSET='s3://([^/]+)/([^']+)'$", script, re.MULTILINE).groups()
    assert bucket == f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
    archive = zipfile.ZipFile(io.BytesIO(aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()))
    assert {"notebooks/prepare_notebook.sh", "notebooks/ray_on_sagemaker.ipynb", "pyproject.toml"} <= set(
        archive.namelist()
    )


def test_stack_completed(aws) -> None:
    stack = aws("cloudformation").describe_stacks(StackName="ray-on-sagemaker")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
