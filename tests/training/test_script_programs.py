"""Programs written for others' launchers run unchanged: SageMaker's estimators, aws-samples' launcher, Ray's examples.

Two real runs share this module's Ray start-ups. The first is a SageMaker PyTorch-style train.py submitted
the SDK's way (`sagemaker_program`, `sagemaker_submit_directory` an s3:// sourcedir.tar.gz in moto's S3),
that uses Ray without `ray.init()` and pins another Ray and torch in its requirements.txt. The second is a
Tune script in the style of Ray's tune_basic_example.py from a local submit folder, with default storage.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import tarfile
import time
from pathlib import Path

import boto3
import pytest
import ray
import torch

from tests.training.toolkit import assert_same_variables, toolkit_env, wheel
from training.contract.layout import layout
from training.entrypoint import main
from training.errors import JobError
from training.script.requirements import protected_versions, requirements_installed, split_requirements

SDK_TRAIN = """
import argparse, json, os, sys
import ray, torch
import helper  # a module beside the script, as in a source_dir

@ray.remote
def square(x):
    return x * x

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--model-dir", type=str, default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", type=str, default=os.environ["SM_CHANNEL_TRAINING"])
    args = parser.parse_args()
    seen = {
        "argv": sys.argv[1:],
        "parsed": [args.epochs, args.batch_size, args.lr],
        "cpus": ray.cluster_resources()["CPU"],
        "squares": ray.get([square.remote(i) for i in range(4)]),
        "helper": helper.VALUE,
        "train_files": sorted(os.listdir(args.train)),
        "cwd": os.getcwd(),
        "versions": [ray.__version__, torch.__version__],
        "sm": {key: value for key, value in os.environ.items() if key.startswith("SM_")},
    }
    address = ray.get_runtime_context().gcs_address
    ray.init(address="auto")  # as a script written for a plain cluster does: the same connection
    ray.init()
    seen["same_cluster"] = ray.get_runtime_context().gcs_address == address
    with open(os.path.join(args.model_dir, "seen.json"), "w") as out:
        json.dump(seen, out)
"""

TUNE_BASIC = """
from ray import tune

def evaluation_fn(step, width, height):
    return (0.1 + width * step / 100) ** (-1) + height * 0.1

def easy_objective(config):
    for step in range(config["steps"]):
        tune.report({"iterations": step, "mean_loss": evaluation_fn(step, config["width"], config["height"])})

if __name__ == "__main__":
    tuner = tune.Tuner(
        easy_objective,
        tune_config=tune.TuneConfig(metric="mean_loss", mode="min", num_samples=2),
        run_config=tune.RunConfig(name="basic"),
        param_space={"steps": 3, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100)},
    )
    print("best:", tuner.fit().get_best_result().config)
"""

OTHER_RAY_AND_TORCH = "ray[default]==2.56.1  # aws-samples' pin\ntorch==2.0.1\n"
IMAGE_PACKAGES = "numpy\npandas\nray[tune]\ntorch\n"
SDK_HYPERPARAMETERS = {"epochs": "2", "batch-size": "32", "lr": "0.05"}  # json.dumps of each, as SDK v2 writes them
CAPACITY = {"SM_NUM_CPUS": "2", "SM_NUM_GPUS": "0"}


def _sourcedir(files: dict[str, str]) -> bytes:
    """A sourcedir.tar.gz as the SDK packs a source_dir: the files at the archive's top."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def sdk_run(tmp_path_factory, digits, moto_endpoint):
    """The SDK-style train.py from an s3:// sourcedir.tar.gz, its hyperparameters as the SDK writes them."""
    aws = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="sdk-code")
    files = {"train.py": SDK_TRAIN, "helper.py": "VALUE = 7\n", "requirements.txt": OTHER_RAY_AND_TORCH}
    s3.put_object(Bucket="sdk-code", Key="job/source/sourcedir.tar.gz", Body=_sourcedir(files))
    uri = "s3://sdk-code/job/source/sourcedir.tar.gz"
    root = tmp_path_factory.mktemp("sdk") / "job"
    sdk = {
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_submit_directory": json.dumps(uri),
        "sagemaker_region": json.dumps("us-east-1"),
        "sagemaker_container_log_level": "20",
    }
    layout(root, {**SDK_HYPERPARAMETERS, **sdk}, {"training": digits["training"]})
    decoded = {key: json.loads(value) for key, value in {**SDK_HYPERPARAMETERS, **sdk}.items()}
    reference = toolkit_env(root, decoded)
    capacity = {"SM_NUM_CPUS": reference["SM_NUM_CPUS"], "SM_NUM_GPUS": reference["SM_NUM_GPUS"]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**aws, "AWS_DEFAULT_REGION": "us-east-1"}.items():
            patch.setenv(name, value)
        with contextlib.redirect_stdout(io.StringIO()) as log:
            status = main(["train"], {"SM_BASE_DIR": str(root), **capacity})
    seen_file = root / "model" / "seen.json"
    seen = json.loads(seen_file.read_text()) if seen_file.exists() else {}
    return {"root": root, "status": status, "seen": seen, "reference": reference, "log": log.getvalue()}


def test_an_sdk_estimators_program_runs_from_its_s3_sourcedir_with_the_toolkits_arguments(sdk_run):
    assert sdk_run["status"] == 0, (sdk_run["root"] / "output" / "failure").read_text()
    seen = sdk_run["seen"]
    assert seen["argv"] == ["--batch-size", "32", "--epochs", "2", "--lr", "0.05"]  # user's own, sorted, decoded
    assert seen["parsed"] == [2, 32, 0.05]
    assert seen["helper"] == 7 and seen["cwd"] == str((sdk_run["root"] / "code").resolve())
    assert "train-images-idx3-ubyte.gz" in seen["train_files"]


def test_the_sdk_programs_sm_variables_are_the_toolkits(sdk_run):
    assert_same_variables(sdk_run["seen"]["sm"], sdk_run["reference"])


def test_a_script_without_ray_init_is_already_on_the_jobs_cluster(sdk_run):
    seen = sdk_run["seen"]
    assert seen["cpus"] == float(multiprocessing.cpu_count())
    assert seen["squares"] == [0, 1, 4, 9]
    assert seen["same_cluster"]  # its own ray.init(address="auto") and ray.init() joined the same one


def test_requirements_pinning_another_ray_and_torch_leave_the_images_versions(sdk_run):
    assert sdk_run["seen"]["versions"] == [ray.__version__, torch.__version__]
    left_out = [line for line in sdk_run["log"].splitlines() if "left out" in line]
    assert left_out == [
        f"requirements.txt: left out 'ray[default]==2.56.1' (the image has ray {ray.__version__}); "
        f"'torch==2.0.1' (the image has torch {torch.__version__}): the job runs on the image's versions"
    ]


def test_lines_that_would_replace_the_images_packages_are_left_out_and_named():
    pins = protected_versions()
    lines = OTHER_RAY_AND_TORCH.splitlines() + ["ray[tune]", f"torch=={torch.__version__}", "tinydep==1.0", "-r x.txt"]
    kept, left_out = split_requirements(lines, pins)
    assert kept == ["ray[tune]", f"torch=={torch.__version__}", "tinydep==1.0", "-r x.txt"]
    assert left_out == [
        f"'ray[default]==2.56.1' (the image has ray {ray.__version__})",
        f"'torch==2.0.1' (the image has torch {torch.__version__})",
    ]
    assert {"numpy", "pyarrow", "filelock"} <= set(pins)  # what Ray and torch depend on is the image's too


def test_a_file_of_packages_the_image_has_installs_nothing_again(tmp_path, monkeypatch, capsys):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(IMAGE_PACKAGES)
    before = os.environ.get("PYTHONPATH")
    started = time.monotonic()
    with requirements_installed(tmp_path):
        assert os.environ.get("PYTHONPATH") == before
    alone = time.monotonic() - started
    assert "requirements.txt: the image has every package it names" in capsys.readouterr().out

    requirements.write_text(IMAGE_PACKAGES + "tinydep==1.0\n")  # one new package: pip runs, keeps the image's
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip finds tinydep in a local folder and nowhere else
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel(tmp_path / "wheels")))
    started = time.monotonic()
    with requirements_installed(tmp_path):
        overlay = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0])
        installed = sorted(path.name for path in overlay.iterdir() if path.name != "__pycache__")
    with_pip = time.monotonic() - started
    assert installed == ["image.pth", "tinydep-1.0.dist-info", "tinydep.py"]
    assert "left out" not in capsys.readouterr().out
    count = len(IMAGE_PACKAGES.split())
    print(f"requirements.txt of {count} image packages: {alone:.1f} s; with a new one: {with_pip:.1f} s")


def test_a_requirement_that_needs_another_numpy_fails_in_one_sentence_naming_its_line(tmp_path, monkeypatch):
    (tmp_path / "requirements.txt").write_text("pandas\ntinydep==1.0\n")
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip finds tinydep in a local folder and nowhere else
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel(tmp_path / "wheels", requires="numpy<1")))

    with pytest.raises(JobError) as raised, requirements_installed(tmp_path):
        pass

    message = str(raised.value)
    assert message.startswith("installing the script's requirements.txt failed: line 'tinydep==1.0' cannot be ")
    assert "\n" not in message


def test_a_bad_sagemaker_program_or_submit_directory_is_one_sentence_before_ray_starts(tmp_path):
    code = tmp_path / "source"
    code.mkdir()
    (code / "train.py").write_text("")
    (tmp_path / "notes.txt").write_text("not a tarball")
    cases = {
        "missing.py": (str(code), f"hyperparameter 'sagemaker_program' names no file in {code}, got 'missing.py'"),
        "train.py": (str(tmp_path / "notes.txt"), "hyperparameter 'sagemaker_submit_directory' must be an s3:// "),
    }
    for number, (program, (submitted, message)) in enumerate(cases.items()):
        root = tmp_path / f"job{number}"
        estimator = {"sagemaker_program": json.dumps(program), "sagemaker_submit_directory": json.dumps(submitted)}
        layout(root, estimator, {})

        assert main([], {"SM_BASE_DIR": str(root), **CAPACITY}) == 1

        assert (root / "output" / "failure").read_text().startswith(message)


def test_a_tune_script_with_default_storage_keeps_its_results_in_the_uploaded_output(tmp_path):
    code = tmp_path / "source"
    code.mkdir()
    (code / "tune_basic_example.py").write_text(TUNE_BASIC)
    root = tmp_path / "job"
    submit = {"sagemaker_submit_directory": json.dumps(str(code))}  # a local folder, as the toolkit accepts
    layout(root, {"sagemaker_program": json.dumps("tune_basic_example.py"), **submit}, {})

    assert main(["train"], {"SM_BASE_DIR": str(root), **CAPACITY}) == 0

    trials = sorted((root / "output" / "data" / "basic").glob("*/result.json"))
    assert len(trials) == 2 and all(len(path.read_text().splitlines()) == 3 for path in trials)
