"""Reading the SageMaker contract: files, SM_* variables, the command line, and their precedence."""

import json
import re

import pytest

from training.contract.environment import parse_command_line, read_environment
from training.contract.metric_line import EPOCH_METRICS, format_metrics, metric_regexes, read_metrics
from training.errors import JobError


def _write(root, name, content):
    path = root / "input" / "config" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


def test_files_give_hosts_channels_and_string_hyperparameters(tmp_path):
    _write(
        tmp_path, "hyperparameters.json", {"epochs": "3", "beta_1": "0.8", "storage-path": "s3://bucket/checkpoints/"}
    )
    _write(
        tmp_path,
        "resourceconfig.json",
        {"current_host": "algo-2", "hosts": ["algo-2", "algo-1"], "network_interface_name": "eth1"},
    )
    _write(tmp_path, "inputdataconfig.json", {"training": {}, "testing": {}})
    env = read_environment([], {"SM_BASE_DIR": str(tmp_path), "SM_NUM_CPUS": "16", "SM_NUM_GPUS": "1"})
    assert env.hyperparameters.epochs == 3 and env.hyperparameters.beta_1 == 0.8
    assert env.hosts == ("algo-1", "algo-2") and env.current_host == "algo-2" and not env.is_leader
    assert env.network_interface == "eth1" and env.leader == "algo-1"
    assert env.storage_path == "s3://bucket/checkpoints"
    assert (env.num_cpus, env.num_gpus) == (16, 1)
    assert env.channels["training"] == tmp_path / "input" / "data" / "training"
    assert env.paths.model_dir == tmp_path / "model" and env.paths.output_data_dir == tmp_path / "output" / "data"
    assert (
        env.paths.checkpoint_dir == tmp_path / "checkpoints"
        and env.paths.failure_file == tmp_path / "output" / "failure"
    )


def test_precedence_environment_then_file_then_command_line(tmp_path):
    _write(tmp_path, "hyperparameters.json", {"epochs": "3", "seed": "7"})
    environ = {
        "SM_BASE_DIR": str(tmp_path),
        "RAY_SM_PROGRAM": "tune",
        "SM_HPS": json.dumps({"epochs": "2", "seed": "5", "batch-size": "16", "program": "train"}),
    }
    env = read_environment(["train", "--seed", "9", "--log-interval=4"], environ)
    hp = env.hyperparameters
    assert (hp.batch_size, hp.epochs, hp.seed, hp.log_interval, hp.program) == (16, 3, 9, 4, "train")
    assert (
        read_environment([], {"SM_BASE_DIR": str(tmp_path), "RAY_SM_PROGRAM": "tune"}).hyperparameters.program == "tune"
    )


def test_precedence_holds_whichever_way_each_source_spells_a_name(tmp_path):
    _write(tmp_path, "hyperparameters.json", {"batch_size": "32", "Log-Interval": "3"})
    environ = {"SM_BASE_DIR": str(tmp_path), "SM_HPS": json.dumps({"batch-size": "16", "log_interval": "2"})}
    hp = read_environment(["--batch-size", "64"], environ).hyperparameters
    assert (hp.batch_size, hp.log_interval) == (64, 3)


def test_without_files_the_toolkit_variables_stand_in(tmp_path):
    channel = tmp_path / "elsewhere"
    channel.mkdir()
    environ = {
        "SM_BASE_DIR": str(tmp_path),
        "SM_HOSTS": '["algo-1", "algo-2"]',
        "SM_CURRENT_HOST": "algo-1",
        "SM_HPS": '{"storage-path": "/shared/ray"}',
        "SM_CHANNEL_TRAINING": str(channel),
        "SM_MODEL_DIR": str(tmp_path / "m"),
    }
    env = read_environment([], environ)
    assert env.hosts == ("algo-1", "algo-2") and env.is_leader
    assert env.channel("training") == channel and env.paths.model_dir == tmp_path / "m"


def test_a_plain_run_is_one_host_with_this_machines_cpus(tmp_path):
    env = read_environment([], {"SM_BASE_DIR": str(tmp_path)})
    assert env.hosts == ("algo-1",) and env.num_cpus >= 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs"], "hyperparameter --epochs has no value"),
        (["--asha", "--epochs", "3"], "hyperparameter --asha has no value"),
        (["epochs", "3"], "'epochs' is not a --name value pair"),
    ],
)
def test_bad_command_lines(argv, message):
    with pytest.raises(JobError, match=message):
        parse_command_line(argv)


def test_bad_files_and_variables_are_one_sentence(tmp_path):
    config = tmp_path / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text("{not json")
    with pytest.raises(JobError, match="hyperparameters.json is not valid JSON"):
        read_environment([], {"SM_BASE_DIR": str(tmp_path)})
    (config / "hyperparameters.json").write_text("{}")
    with pytest.raises(JobError, match="SM_NUM_CPUS must be a whole number, got 'many'"):
        read_environment([], {"SM_BASE_DIR": str(tmp_path), "SM_NUM_CPUS": "many"})
    _write(tmp_path, "resourceconfig.json", {"current_host": "algo-9", "hosts": ["algo-1"]})
    with pytest.raises(JobError, match="current host 'algo-9' is not among"):
        read_environment([], {"SM_BASE_DIR": str(tmp_path)})


def test_a_missing_channel_names_it(tmp_path):
    env = read_environment([], {"SM_BASE_DIR": str(tmp_path)})
    with pytest.raises(JobError, match="the 'testing' data channel is missing"):
        env.channel("testing")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("SM_HOSTS", "algo-1", "environment variable SM_HOSTS is not valid JSON, got .algo-1."),
        ("SM_HPS", "[1]", "environment variable SM_HPS must be a JSON dict"),
    ],
)
def test_bad_json_variables(tmp_path, name, text, message):
    with pytest.raises(JobError, match=message):
        read_environment([], {"SM_BASE_DIR": str(tmp_path), name: text})


def test_several_hosts_without_storage_path_fail_at_once_with_one_sentence(tmp_path):
    _write(tmp_path, "resourceconfig.json", {"current_host": "algo-1", "hosts": ["algo-1", "algo-2", "algo-3"]})
    with pytest.raises(JobError, match=r"^a job on 3 hosts needs the storage-path hyperparameter: an s3:// URI"):
        read_environment([], {"SM_BASE_DIR": str(tmp_path)})
    env = read_environment(["--storage-path", "s3://b/p"], {"SM_BASE_DIR": str(tmp_path)})
    assert env.storage_path == "s3://b/p"


def test_one_host_keeps_ray_state_in_the_checkpoint_folder(tmp_path):
    env = read_environment([], {"SM_BASE_DIR": str(tmp_path)})
    assert env.storage_path == str(tmp_path.resolve() / "checkpoints") and env.leader == "algo-1" and env.is_leader


@pytest.mark.parametrize("listed", [["algo-3", "algo-1", "algo-2"], ["algo-2", "algo-3", "algo-1"]])
def test_the_leader_is_the_sorted_first_host_whatever_the_groups_list_first(tmp_path, listed):
    """As the sagemaker-training toolkit picks its master: the first host by name, on every host alike."""
    groups = [
        {"instance_group_name": "gpu", "hosts": ["algo-3"]},
        {"instance_group_name": "cpu", "hosts": ["algo-2", "algo-1"]},
    ]
    resources = {"current_host": "algo-3", "hosts": listed, "instance_groups": groups}
    _write(tmp_path, "resourceconfig.json", resources)
    environ = {"SM_BASE_DIR": str(tmp_path), "TRAINING_JOB_NAME": "job-7", "SM_HPS": '{"storage-path": "/fsx/ray"}'}
    env = read_environment([], environ)
    assert env.leader == "algo-1" and not env.is_leader and env.job_identity == "job-7"
    assert env.hosts == ("algo-1", "algo-2", "algo-3")


@pytest.mark.parametrize("value", ["checkpoints", "s3://", "s3:/bucket", "file:///x"])
def test_storage_path_must_be_s3_or_absolute(tmp_path, value):
    message = f"hyperparameter 'storage-path' must be an s3:// URI or an absolute folder path, got '{value}'"
    with pytest.raises(JobError, match=message):
        read_environment(["--storage-path", value], {"SM_BASE_DIR": str(tmp_path)})


def test_the_metric_regexes_read_back_every_value_the_metric_line_writes():
    values = {"epoch": 3, "train_loss": 0.23104, "test_loss": 0.11, "test_accuracy": 0.96421, "epoch_seconds": 12.3}
    line = "(RayTrainWorker pid=7) " + format_metrics(values)
    step = "epoch=3 step=10/20 loss=9.8765"  # a progress line: its `loss=` is no train_loss

    read = {name: float(re.search(regex, line)[1]) for name, regex in metric_regexes().items()}

    assert read == {name: round(values[name], 4) for name in EPOCH_METRICS}
    assert not any(re.search(regex, step) for regex in metric_regexes().values())
    assert read_metrics(line) == {"epoch": 3, **read}
    assert read_metrics(step) is None
