"""`make data`, `make train` and `make jobs|status|logs` against the stack deployed to moto_server.

moto accepts much that SageMaker rejects and runs nothing, so these tests prove what the launcher sends
(moto's request recorder) and what it does with the answers, not that AWS would accept it.
"""

import io
import re
import tarfile

import pytest

from infra import stack_names
from launcher.sagemaker_jobs.metrics import METRICS
from tests.infra.helpers import run_make
from tests.launcher.helpers import IMAGE_TAG, created_jobs
from training.contract.metric_line import format_metrics

MLFLOW_APP = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-app/app-ABCDEF123456"
SUBMITTED = re.compile(r"submitted (ray-on-sagemaker-train-\d{17})")


@pytest.fixture(scope="module")
def submitted(launcher_env, data, record) -> tuple[str, dict, str]:
    """`make train ARGS="--epochs 3 --learning-rate 0.005 --no-wait"`: output, CreateTrainingJob request, job name."""
    results = {}

    def train() -> None:
        results["run"] = run_make("train", launcher_env, "ARGS=--epochs 3 --learning-rate 0.005 --no-wait")

    (request,) = created_jobs(record(train))
    run = results["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout, request, SUBMITTED.search(run.stdout)[1]


def test_make_data_uploads_each_channel_then_skips_unchanged_files(data, launcher_env, deployed, aws) -> None:
    bucket = deployed[stack_names.DATA_BUCKET]
    keys = sorted(o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == [
        "testing/t10k-images-idx3-ubyte.gz",
        "testing/t10k-labels-idx1-ubyte.gz",
        "training/train-images-idx3-ubyte.gz",
        "training/train-labels-idx1-ubyte.gz",
    ]
    assert data.count("uploaded ") == 4
    again = run_make("data", launcher_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("unchanged s3://") == 4 and "uploaded" not in again.stdout


def test_train_sends_one_request_with_everything_from_the_stack(submitted, deployed) -> None:
    stdout, request, name = submitted
    assert request["TrainingJobName"] == name
    assert request["AlgorithmSpecification"]["TrainingImage"] == f"{deployed[stack_names.REPOSITORY_URI]}:{IMAGE_TAG}"
    assert "ContainerEntrypoint" not in request["AlgorithmSpecification"]  # the image's own entry point runs
    assert request["RoleArn"] == deployed[stack_names.TRAINING_ROLE]
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]}
    assert channels == {c: f"s3://{deployed[stack_names.DATA_BUCKET]}/{c}/" for c in ("training", "testing")}
    assert request["HyperParameters"] == {"epochs": "3", "learning-rate": "0.005", "program": "train"}
    assert request["RemoteDebugConfig"] == {"EnableRemoteDebug": True}  # make dashboard, by default
    assert f"make logs JOB={name}" in stdout
    # The stack on moto has no MLflow App (tests/aws_fixtures.py): no MlflowConfig, the image's URI for the run's tags.
    assert "MlflowConfig" not in request
    assert request["Environment"] == {"RAY_SM_IMAGE": request["AlgorithmSpecification"]["TrainingImage"]}


def test_train_runs_on_spot_with_checkpoints_stopping_condition_and_the_stack_key(submitted, deployed) -> None:
    _, request, name = submitted
    key = deployed[stack_names.KMS_KEY]
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert request["ResourceConfig"]["InstanceType"] == "ml.m5.4xlarge"
    assert request["ResourceConfig"]["InstanceCount"] == 1
    assert request["ResourceConfig"]["VolumeKmsKeyId"] == key  # ml.m5 trains on an EBS volume
    assert request["OutputDataConfig"]["KmsKeyId"] == key
    assert request["OutputDataConfig"]["S3OutputPath"] == f"s3://{deployed[stack_names.ARTIFACTS_BUCKET]}/jobs"
    checkpoints = request["CheckpointConfig"]["S3Uri"]
    assert checkpoints.startswith(f"s3://{deployed[stack_names.ARTIFACTS_BUCKET]}/checkpoints/ray-on-sagemaker-train-")


def test_train_tags_and_metric_definitions_match_real_metric_lines(submitted, deployed) -> None:
    _, request, _ = submitted
    tags = {t["Key"]: t["Value"] for t in request["Tags"]}
    assert tags == {"project": "ray-on-sagemaker", "stack": "ray-on-sagemaker", "image-commit": IMAGE_TAG}
    definitions = {d["Name"]: d["Regex"] for d in request["AlgorithmSpecification"]["MetricDefinitions"]}
    assert definitions == METRICS
    line = "(RayTrainWorker pid=7) " + format_metrics(
        {"epoch": 2, "train_loss": 0.231, "test_loss": 0.11, "test_accuracy": 0.9642, "epoch_seconds": 12.5}
    )
    values = {name: float(re.search(regex, line)[1]) for name, regex in definitions.items()}
    assert values == {"train_loss": 0.231, "test_loss": 0.11, "test_accuracy": 0.9642, "epoch_seconds": 12.5}


def test_jobs_status_and_logs_report_the_job_and_fetch_its_results(
    submitted, launcher_env, deployed, aws, tmp_path
) -> None:
    """moto marks the job Completed at once; its model.tar.gz is put where SageMaker would write it."""
    _, _, name = submitted
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for member, content in (("model.pth", b"weights"), ("metrics.json", b"{}")):
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    aws("s3").put_object(
        Bucket=deployed[stack_names.ARTIFACTS_BUCKET], Key=f"jobs/{name}/output/model.tar.gz", Body=archive.getvalue()
    )
    jobs = run_make("jobs", launcher_env)
    assert jobs.returncode == 0, jobs.stderr
    assert re.search(rf"^{name}\s+Completed\s", jobs.stdout, re.MULTILINE)
    status = run_make("status", launcher_env, f"JOB={name}")
    assert status.returncode == 0, status.stderr
    assert f"{name}: Completed" in status.stdout
    logs = run_make("logs", launcher_env, f"JOB={name}", f"JOBS_DIR={tmp_path}")
    assert logs.returncode == 0, logs.stderr
    model = tmp_path / name / "model" / "model.pth"
    assert model.read_bytes() == b"weights"
    assert f"model.pth:    {model}" in logs.stdout


def test_on_demand_with_a_warm_pool_on_instance_storage_sends_no_volume_key_and_no_spot_wait(
    launcher_env, data, record, deployed
) -> None:
    """ml.g5 trains on NVMe instance storage, where SageMaker refuses a VolumeKmsKeyId; it logs to --mlflow's App."""
    results = []
    args = (
        "ARGS=--no-spot --keep-alive 600 --instance-type ml.g5.xlarge --instance-count 2 --job-name nightly --no-wait"
        f" --mlflow {MLFLOW_APP} --no-remote-debug"
    )
    (request,) = created_jobs(record(lambda: results.append(run_make("tune", launcher_env, args))))
    assert results[0].returncode == 0, results[0].stderr
    assert re.fullmatch(r"ray-on-sagemaker-nightly-\d{17}", request["TrainingJobName"])
    # Two instances share Ray's storage: the job's own checkpoint prefix.
    assert request["HyperParameters"] == {"program": "tune", "storage-path": request["CheckpointConfig"]["S3Uri"]}
    resources = request["ResourceConfig"]
    assert (resources["InstanceType"], resources["InstanceCount"], resources["KeepAlivePeriodInSeconds"]) == (
        "ml.g5.xlarge",
        2,
        600,
    )
    assert "VolumeKmsKeyId" not in resources
    assert request["OutputDataConfig"]["KmsKeyId"] == deployed[stack_names.KMS_KEY]
    assert not request.get("EnableManagedSpotTraining")
    assert "RemoteDebugConfig" not in request
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    name = request["TrainingJobName"]
    expected = {"MlflowResourceArn": MLFLOW_APP, "MlflowExperimentName": "tune", "MlflowRunName": name}
    assert request["MlflowConfig"] == expected
    assert request["Environment"]["MLFLOW_TRACKING_URI"] == MLFLOW_APP
    assert request["Environment"]["MLFLOW_EXPERIMENT_NAME"] == "tune"
