"""Every request the launcher builds passes SageMaker's own service model (botocore's), and each kind of rule
that botocore's validator leaves to the service (pattern, max, enum) is caught here, also by the local executor.

The requests come from the trainer's own builder (launcher/sagemaker_jobs/trainer.py job_request), as `make train`
sends them.
"""

import copy
import os
import re

import boto3
import pytest

from launcher.errors import LauncherError
from launcher.local.stack_job import run_request
from launcher.sagemaker_jobs.request import JobSpec
from launcher.sagemaker_jobs.service_model import problems, validate
from launcher.sagemaker_jobs.trainer import job_request
from launcher.stack.outputs import Stack

ACCOUNT = "123456789012"
STACK = Stack(
    name="ray-on-sagemaker",
    region="us-east-1",
    data_bucket="ray-on-sagemaker-data-1",
    artifacts_bucket="ray-on-sagemaker-artifacts-1",
    training_role_arn=f"arn:aws:iam::{ACCOUNT}:role/ray-on-sagemaker-TrainingRole-1",
    kms_key_arn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    repository_uri=f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/ray-on-sagemaker",
    job_name_prefix="ray-on-sagemaker-",
)
IMAGE = f"{STACK.repository_uri}:0123456789ab-deadbeef"
SCRIPT = {"program": "script", "entry-script": "job.py", "epochs": "2"}
# Each shape costs the SDK's builder a second or two, so each covers several cases.
SHAPES = {
    "train on spot, the longest run": JobSpec(hyperparameters={"epochs": "3"}, max_runtime=28 * 24 * 3600),
    "tune on demand": JobSpec(program="tune", spot=False),
    "run a script": JobSpec(program="script", hyperparameters=SCRIPT, channels={"code": "s3://code-bucket/code/abc/"}),
    "several hosts of a GPU type": JobSpec(instance_type="ml.g5.xlarge", instance_count=4, max_wait=14400),
    "warm pool": JobSpec(spot=False, keep_alive=21600, job_name="nightly"),
    "a local-disk CPU type": JobSpec(instance_type="ml.r5d.xlarge", spot=False),
}
TRAIN = "train on spot, the longest run"


@pytest.fixture(scope="module")
def session() -> boto3.Session:
    """Credentials the builder never uses to call out: building a request sends nothing."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=STACK.region)


@pytest.fixture(scope="module")
def requests(session: boto3.Session) -> dict[str, dict]:
    return {shape: job_request(STACK, IMAGE, spec, session) for shape, spec in SHAPES.items()}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_request_shape_passes_the_service_model(requests: dict[str, dict], shape: str) -> None:
    assert problems(requests[shape]) == []


def test_the_sdks_role_check_is_off_only_while_the_launcher_builds(requests: dict[str, dict]) -> None:
    assert "SAGEMAKER_VALIDATE_ROLE" not in os.environ  # the launcher's own switch leaves nothing behind


def test_the_shapes_differ_where_they_should(requests: dict[str, dict]) -> None:
    assert requests["warm pool"]["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 21600
    for local in ("a local-disk CPU type", "several hosts of a GPU type"):
        assert "VolumeKmsKeyId" not in requests[local]["ResourceConfig"]  # no EBS volume to encrypt
    assert requests["several hosts of a GPU type"]["ResourceConfig"]["InstanceCount"] == 4
    assert requests["run a script"]["HyperParameters"]["entry-script"] == "job.py"
    assert "MaxWaitTimeInSeconds" not in requests["tune on demand"]["StoppingCondition"]


def test_the_job_name_and_checkpoint_folder_share_one_utc_stamp_to_the_millisecond(requests) -> None:
    first, second = requests[TRAIN], requests["several hosts of a GPU type"]  # both ray-on-sagemaker-train-...
    assert first["TrainingJobName"] != second["TrainingJobName"]
    for request in (first, second):
        assert re.fullmatch(r"ray-on-sagemaker-train-\d{17}", request["TrainingJobName"])
        assert request["CheckpointConfig"]["S3Uri"].endswith("/" + request["TrainingJobName"])


def broken(request: dict, path: str, value) -> dict:
    """A copy of request with the member at `A.B.C` set to value."""
    changed = copy.deepcopy(request)
    *parents, last = path.split(".")
    target = changed
    for part in parents:
        target = target[part]
    target[last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("TrainingJobName", "my_job", r"TrainingJobName must match \[a-zA-Z0-9\]"),
        # ml.m5d has local disks but is no training type in botocore 1.44.8's model.
        ("ResourceConfig.InstanceType", "ml.m5d.xlarge", "ResourceConfig.InstanceType must be one of SageMaker's"),
        ("AlgorithmSpecification.TrainingInputMode", "Stream", "must be one of Pipe, File, FastFile, got 'Stream'"),
        ("ResourceConfig.KeepAlivePeriodInSeconds", 21601, "KeepAlivePeriodInSeconds must be at most 21600"),
        ("HyperParameters", {f"h{i}": "1" for i in range(101)}, "HyperParameters must have at most 100 entries"),
        ("HyperParameters", {"note": "x" * 2501}, r"HyperParameters\['note'\] must have at most 2500 characters"),
        ("Tags", [{"Key": f"k{i}", "Value": "v"} for i in range(51)], "Tags must have at most 50 entries"),
        ("MlflowConfig", {"MlflowResourceArn": "not-an-arn"}, "MlflowConfig.MlflowResourceArn must match arn:aws"),
        ("RoleArn", 12, "Invalid type for parameter RoleArn"),
    ],
)
def test_each_kind_of_rule_is_caught_naming_the_member(requests: dict[str, dict], path: str, value, message: str):
    with pytest.raises(LauncherError, match=f"SageMaker would refuse this CreateTrainingJob request .*{message}"):
        validate(broken(requests[TRAIN], path, value))


def test_a_missing_required_member_is_caught(requests: dict[str, dict]) -> None:
    request = copy.deepcopy(requests[TRAIN])
    del request["RoleArn"]
    assert problems(request) == ['Missing required parameter in input: "RoleArn"']


def test_the_launcher_refuses_what_sagemaker_would_before_sending(session) -> None:
    too_many = {**SCRIPT, **{f"flag-{i}": "1" for i in range(100)}}
    spec = JobSpec(program="script", hyperparameters=too_many, channels={"code": "s3://code-bucket/code/abc/"})
    with pytest.raises(LauncherError, match="HyperParameters must have at most 100 entries"):
        job_request(STACK, IMAGE, spec, session)


def test_the_local_executor_refuses_it_before_it_runs(requests: dict[str, dict], session) -> None:
    long_value = broken(requests["run a script"], "HyperParameters", {**SCRIPT, "note": "x" * 2501})
    with pytest.raises(LauncherError, match="must have at most 2500 characters"):
        run_request(long_value, session)  # nothing downloaded: the data bucket does not exist
