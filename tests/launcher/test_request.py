"""The job request's parts that need no AWS: flags, hyperparameters, instance storage, metrics, the image."""

import pytest

from infra import stack_names
from infra.instance_types import has_local_storage
from launcher.errors import LauncherError
from launcher.sagemaker_jobs.metrics import final_metrics
from launcher.sagemaker_jobs.request import JobSpec, hyperparameters
from launcher.sagemaker_jobs.trainer import base_job_name
from launcher.stack.image import image_commit, image_uri
from launcher.stack.outputs import Stack
from training.contract.metric_line import format_metrics


def test_hyperparameters_are_the_entry_points_flags_in_either_spelling() -> None:
    given = ["--epochs", "3", "--learning_rate=0.005", "--beta-1-grid", "0.8,0.9"]
    assert hyperparameters("tune", given) == {
        "epochs": "3",
        "learning-rate": "0.005",
        "beta-1-grid": "0.8,0.9",
        "program": "tune",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epoch", "3"], "unknown hyperparameter 'epoch'"),
        (["--epochs", "0"], "hyperparameter 'epochs' must be at least 1, got 0"),
        (["--learning-rate", "fast"], "hyperparameter 'learning-rate' must be a number, got 'fast'"),
        (["--asha"], "hyperparameter --asha has no value"),
        (["3"], "'3' is not a --name value pair"),
        (["--program", "tune"], "--program tune contradicts the verb: run python -m launcher tune"),
    ],
)
def test_a_bad_hyperparameter_is_one_sentence_naming_it(args: list[str], message: str) -> None:
    with pytest.raises(LauncherError, match=message.replace("(", r"\(")):
        hyperparameters("train", args)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"instance_type": "m5.large"}, "--instance-type must look like ml.m5.xlarge, got 'm5.large'"),
        ({"instance_count": 0}, "--instance-count must be at least 1"),
        ({"max_runtime": 600, "max_wait": 300}, r"--max-wait \(300 s\) must be at least --max-runtime \(600 s\)"),
        ({"keep_alive": 600}, "--keep-alive needs on-demand instances .*: add --no-spot"),
        ({"keep_alive": 21601, "spot": False}, "--keep-alive must be 0 to 21600 seconds"),
        ({"max_runtime": 28 * 24 * 3600 + 1}, r"--max-runtime must be 1 to 2419200 seconds \(28 days\)"),
        ({"max_wait": 7200, "spot": False}, "--max-wait applies to spot jobs only .*: drop it or remove --no-spot"),
        ({"job_name": "my_job"}, "--job-name must be letters, digits and dashes"),
        ({"executor": "docker"}, "--executor must be one of sagemaker, local, local-image"),
        (
            {"program": "tune", "hyperparameters": {"program": "train"}},
            "the hyperparameters are for train, the job runs tune",
        ),
    ],
)
def test_bad_launcher_flags_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(LauncherError, match=message):
        JobSpec(**settings)


def test_spot_waits_twice_the_runtime_unless_told_and_warm_pools_go_with_on_demand() -> None:
    assert JobSpec(max_runtime=900).wait_limit == 1800
    assert JobSpec(max_runtime=900, max_wait=1000).wait_limit == 1000
    assert JobSpec(spot=False, keep_alive=1800).keep_alive == 1800


@pytest.mark.parametrize(
    ("instance_type", "local"),
    [
        ("ml.m5.4xlarge", False),
        ("ml.c5.xlarge", False),
        ("ml.p2.xlarge", False),
        ("ml.c5n.xlarge", False),
        ("ml.g6e.xlarge", True),
        ("ml.p4d.24xlarge", True),
        ("ml.g4dn.xlarge", True),
        ("ml.g5.2xlarge", True),
        ("ml.m5d.large", True),
        ("ml.p3dn.24xlarge", True),
        ("ml.trn1.32xlarge", True),
    ],
)
def test_the_volume_key_is_left_out_only_for_instance_storage(instance_type: str, local: bool) -> None:
    assert has_local_storage(instance_type) is local


def test_final_metrics_are_the_last_values_of_the_lines_training_prints() -> None:
    lines = [
        "epoch=1 step=12/12 loss=2.2548",
        format_metrics(
            {"epoch": 1, "train_loss": 2.277, "test_loss": 2.1879, "test_accuracy": 0.3556, "epoch_seconds": 1.77}
        ),
        "(RayTrainWorker pid=9) "
        + format_metrics(
            {"epoch": 2, "train_loss": 1.5, "test_loss": 1.25, "test_accuracy": 0.6, "epoch_seconds": 1.5}
        ),
    ]
    assert final_metrics(lines) == {"train_loss": 1.5, "test_loss": 1.25, "test_accuracy": 0.6, "epoch_seconds": 1.5}
    assert final_metrics(lines[:1]) == {}  # a step line's loss is not train_loss


def test_the_image_is_the_given_one_then_image_uri_then_the_recorded_one(tmp_path, monkeypatch) -> None:
    recorded = tmp_path / "image-uri.txt"
    recorded.write_text("1.dkr.ecr.us-east-1.amazonaws.com/repo:abcdef123456-dirty-20261130\n")
    monkeypatch.delenv("IMAGE_URI", raising=False)
    stack = None  # the stack's repository is asked only when nothing names the image (tests/launcher/test_image.py)
    assert image_uri(stack, None, None, recorded).endswith(":abcdef123456-dirty-20261130")
    assert image_uri(stack, None, "other:tag", recorded) == "other:tag"
    monkeypatch.setenv("IMAGE_URI", "from:environment")
    assert image_uri(stack, None, None, recorded) == "from:environment"
    assert image_uri(stack, None, "other:tag", recorded) == "other:tag"
    assert image_commit(image_uri(stack, None, "r:abcdef123456-dirty-20261130")) == "abcdef123456"
    assert image_commit("localhost:5000/repo:0123456789ab-gpu") == "0123456789ab"


def test_job_names_carry_the_stacks_prefix_and_leave_room_for_the_launch_time() -> None:
    outputs = {key: "x" for key in stack_names.ALWAYS}
    stack = Stack.from_outputs("s", {**outputs, stack_names.JOB_NAME_PREFIX: "ray-on-sagemaker-"})
    assert base_job_name(stack, JobSpec(program="tune")) == "ray-on-sagemaker-tune"
    assert base_job_name(stack, JobSpec(job_name="ray-on-sagemaker-nightly")) == "ray-on-sagemaker-nightly"
    with pytest.raises(LauncherError, match="is longer than 45 characters: give a shorter --job-name"):
        base_job_name(stack, JobSpec(job_name="a" * 40))
