"""Each mistake a user will make: one sentence naming the next command, exit 1, and no job request sent."""

import json
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from infra import stack_names
from launcher import api
from launcher.errors import LauncherError
from launcher.sagemaker_jobs.request import JobSpec
from launcher.stack.outputs import Stack
from tests.aws_fixtures import REGION
from tests.infra.helpers import run_make
from tests.launcher.helpers import created_jobs


@pytest.fixture(scope="module")
def empty_stack_outputs(deployed, aws, tmp_path_factory) -> str:
    """The deployed stack's outputs, but with a data bucket nothing was uploaded to."""
    aws("s3").create_bucket(Bucket="empty-data-bucket")
    path = tmp_path_factory.mktemp("empty") / "outputs.json"
    path.write_text(json.dumps({"ray-on-sagemaker": {**deployed, stack_names.DATA_BUCKET: "empty-data-bucket"}}))
    return str(path)


def _without_credentials(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}


CASES = {
    "stack not deployed": (
        lambda env, _: {**env, "STACK_OUTPUTS": "/nonexistent/cdk-outputs.json", "STACK_NAME": "nowhere"},
        "stack 'nowhere' is not deployed in us-east-1: run make deploy first",
    ),
    "no image pushed": (
        lambda env, _: {**env, "IMAGE_URI_FILE": "/nonexistent/image-uri.txt"},
        # nothing recorded and nothing pushed to the stack's repository
        "no training image in 123456789012.dkr.ecr.us-east-1.amazonaws.com/",
    ),
    "no credentials": (
        lambda env, _: _without_credentials(env),
        "no AWS credentials found: configure them (aws configure, or aws sso login), then run the command again",
    ),
    "no data uploaded": (
        lambda env, empty: {**env, "STACK_OUTPUTS": empty},
        "no data in s3://empty-data-bucket/training/: run make data first",
    ),
    "unknown hyperparameter": (
        lambda env, _: {**env, "ARGS": "--epoch 3"},
        "unknown hyperparameter 'epoch'; known ones are: ",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_make_train_refuses_with_one_sentence_and_sends_nothing(
    case, launcher_env, empty_stack_outputs, data, record
) -> None:
    environment, message = CASES[case]
    env = environment(launcher_env, empty_stack_outputs)
    results = []
    requests = record(lambda: results.append(run_make("train", env, f"ARGS={env.get('ARGS', '')} --no-wait")))
    (result,) = results
    assert result.returncode != 0
    assert result.stderr.splitlines()[0].startswith(f"train: {message}"), result.stderr
    assert "Traceback" not in result.stderr and "submitted" not in result.stdout
    assert created_jobs(requests) == []


def test_an_instance_type_the_account_cannot_use_is_the_services_answer_shortened(moto_env, deployed, data) -> None:
    """The service refuses (here: a stand-in for SageMaker's ResourceLimitExceeded) before any job exists."""
    refusal = {
        "Error": {
            "Code": "ResourceLimitExceeded",
            "Message": "The account-level service limit 'ml.p5.48xlarge for spot training job usage' is 0 Instances, "
            "with current utilization of 0 Instances and a request delta of 1 Instances. Please use AWS Service "
            "Quotas to request an increase for this quota.",
        }
    }
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    session.events.register(
        "before-call.sagemaker.CreateTrainingJob",
        lambda **_: (AWSResponse("https://sagemaker", 400, {}, None), refusal),
    )
    stack = Stack.from_outputs("ray-on-sagemaker", deployed)
    jobs_before = session.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
    with pytest.raises(LauncherError) as refused:
        api.submit(
            stack,
            JobSpec(instance_type="ml.p5.48xlarge"),
            image=f"{deployed[stack_names.REPOSITORY_URI]}:x",
            session=session,
        )
    assert str(refused.value) == (
        "SageMaker refused the job (ResourceLimitExceeded: The account-level service limit 'ml.p5.48xlarge for "
        "spot training job usage' is 0 Instances, with current utilization of 0 Instances and a request delta of "
        "1 Instances): pick another --instance-type or ask for a quota increase"
    )
    assert session.client("sagemaker").list_training_jobs()["TrainingJobSummaries"] == jobs_before


def test_without_an_outputs_file_the_stack_is_read_from_cloudformation(moto_env, deployed, session) -> None:
    stack = Stack.load(Path("/nonexistent/cdk-outputs.json"), session=session)
    assert stack == Stack.from_outputs("ray-on-sagemaker", deployed)
