"""program=script: the user's own Ray program on the job's cluster, with script mode's environment.

Two real runs share this module's Ray start-ups: the example search (it must pass end to end) and a
checking script that fails on purpose after recording what it was given.
"""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from tests.training.toolkit import assert_same_variables, toolkit_env, wheel
from training.contract.hyperparameters import Hyperparameters
from training.contract.layout import layout
from training.entrypoint import main
from training.errors import JobError
from training.script.environment import script_arguments
from training.script.run import FAILURE_LIMIT, failure_reason

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = REPOSITORY / "examples" / "digits_search"

CHECKING_SCRIPT = """
import argparse, json, os, sys
import ray, tinydep

parser = argparse.ArgumentParser()
parser.add_argument("--exit-code", type=int)
parser.add_argument("--note")
parser.add_argument("--rate", type=float)
args = parser.parse_args()
ray.init()
in_a_worker = ray.get(ray.remote(lambda: __import__("tinydep").VALUE).remote())
seen = {
    "argv": sys.argv[1:],
    "in_a_worker": in_a_worker,
    "cwd": os.getcwd(),
    "cpus": ray.cluster_resources()["CPU"],
    "sm": {key: value for key, value in os.environ.items() if key.startswith("SM_")},
}
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "seen.json"), "w") as out:
    json.dump(seen, out)
for number in range(40):
    print(f"noise line {number} " + "x" * 40, file=sys.stderr)
print("ValueError: the last words of the script", file=sys.stderr)
sys.exit(args.exit_code)
"""


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory, digits):
    """The checking script run as program=script with a requirements.txt; it exits 3."""
    base = tmp_path_factory.mktemp("script")
    code = base / "code"
    code.mkdir()
    (code / "check.py").write_text(CHECKING_SCRIPT)
    (code / "requirements.txt").write_text("tinydep==1.0\n")
    root = base / "job"
    user = {"exit-code": "3", "note": "hello world", "rate": "0.5"}
    layout(
        root, {"program": "script", "entry-script": "check.py", **user}, {"training": digits["training"], "code": code}
    )
    (root / "model" / "model.pth").write_bytes(b"stale")
    decoded = {"exit-code": 3, "note": "hello world", "rate": 0.5}
    submit = {"sagemaker_program": "check.py", "sagemaker_submit_directory": str(root / "input" / "data" / "code")}
    reference = toolkit_env(root, {**decoded, **submit})
    capacity = {"SM_NUM_CPUS": reference["SM_NUM_CPUS"], "SM_NUM_GPUS": reference["SM_NUM_GPUS"]}
    with pytest.MonkeyPatch.context() as patch:  # pip finds tinydep in a local folder and nowhere else
        patch.setenv("PIP_NO_INDEX", "1")
        patch.setenv("PIP_FIND_LINKS", str(wheel(base / "wheels")))
        status = main(["train"], {"SM_BASE_DIR": str(root), **capacity})
    seen = json.loads((root / "output" / "data" / "seen.json").read_text())
    return {"root": root, "status": status, "seen": seen, "reference": reference}


def test_the_scripts_exit_status_is_the_jobs_and_its_last_stderr_lines_are_the_reason(failed_run):
    assert failed_run["status"] == 3
    reason = (failed_run["root"] / "output" / "failure").read_text()
    assert reason.startswith("check.py exited with status 3: ")
    assert reason.rstrip().endswith("ValueError: the last words of the script")
    assert "noise line 39" in reason and "noise line 0 " not in reason  # the last lines, whole, that fit
    assert len(reason.rstrip("\n")) <= FAILURE_LIMIT
    assert not (failed_run["root"] / "model" / "model.pth").exists()


def test_the_script_gets_its_hyperparameters_as_arguments_and_its_requirements(failed_run):
    seen = failed_run["seen"]
    assert seen["argv"] == ["--exit-code", "3", "--note", "hello world", "--rate", "0.5"]
    assert seen["in_a_worker"] == 42  # installed from requirements.txt and importable in Ray's workers
    assert seen["cwd"] == str((failed_run["root"] / "input" / "data" / "code").resolve())


def test_the_script_joins_the_jobs_cluster(failed_run):
    assert failed_run["seen"]["cpus"] == float(multiprocessing.cpu_count())


def test_the_sm_variables_are_the_toolkits_for_the_same_layout(failed_run):
    assert_same_variables(failed_run["seen"]["sm"], failed_run["reference"])


def test_the_example_search_runs_as_program_script(tmp_path, digits):
    root = tmp_path / "job"
    hyperparameters = {"program": "script", "entry-script": "search.py", "num-samples": "2", "epochs": "1"}
    layout(root, hyperparameters, {**digits, "code": EXAMPLE})

    assert main(["train"], {"SM_BASE_DIR": str(root), "SM_NUM_CPUS": "2", "SM_NUM_GPUS": "0"}) == 0

    best = json.loads((root / "model" / "best.json").read_text())
    assert best["metrics"]["test_accuracy"] > 0.5  # ten classes: far above chance after one epoch
    trials = (root / "output" / "data" / "trials.csv").read_text().splitlines()
    assert len(trials) == 1 + 2
    assert not (root / "output" / "failure").exists()


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"program": "script"}, "program=script needs the hyperparameter 'entry-script'"),
        ({"program": "script", "entry-script": "../escape.py"}, "must name a file inside the code channel"),
        ({"program": "script", "entry-script": "missing.py"}, "names no file in the code channel, got 'missing.py'"),
    ],
)
def test_a_bad_entry_script_is_one_sentence_before_ray_starts(tmp_path, hyperparameters, message, capsys):
    code = tmp_path / "code"
    code.mkdir()
    (tmp_path / "escape.py").write_text("")
    root = tmp_path / "job"
    layout(root, hyperparameters, {"code": code})

    assert main([], {"SM_BASE_DIR": str(root), "SM_NUM_CPUS": "1", "SM_NUM_GPUS": "0"}) == 1

    assert message in (root / "output" / "failure").read_text()
    assert "Traceback" not in capsys.readouterr().err


def test_a_failure_reason_keeps_the_end_of_one_overlong_line():
    reason = failure_reason("job.py", 1, ["start ", "y" * 3000 + " end\n"])
    assert len(reason) == FAILURE_LIMIT
    assert reason.startswith("job.py exited with status 1: ") and reason.endswith(" end")
    assert failure_reason("job.py", 2, []) == "job.py exited with status 2 and wrote nothing to stderr"


def test_with_program_script_every_other_hyperparameter_is_the_scripts_not_ours():
    hp = Hyperparameters.from_strings({"Program": "script", "entry_script": "job.py", "epochs": "0", "lr": "x"})
    assert (hp.program, hp.entry_script, hp.epochs) == ("script", "job.py", Hyperparameters().epochs)
    cluster = {"storage-path": "s3://bucket/ray", "hosts-timeout": "60"}  # the cluster's, as the launcher adds them
    given = {"program": "script", "entry-script": "job.py", "epochs": "0", "flag": "true", **cluster}
    assert script_arguments(given) == [
        "--epochs",
        "0",
        "--flag",
        "True",  # the toolkit's formats: JSON-decoded values, str() of each
    ]
    with pytest.raises(JobError, match="unknown hyperparameter 'lr'"):
        Hyperparameters.from_strings({"program": "train", "lr": "0.1"})


def test_requirements_that_cannot_be_installed_are_one_sentence_before_ray_starts(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "job.py").write_text("")
    (code / "requirements.txt").write_text("no-such-package-here==1.0\n")
    root = tmp_path / "job"
    layout(root, {"program": "script", "entry-script": "job.py"}, {"code": code})
    monkeypatch.setenv("PIP_NO_INDEX", "1")

    assert main([], {"SM_BASE_DIR": str(root), "SM_NUM_CPUS": "1", "SM_NUM_GPUS": "0"}) == 1

    reason = (root / "output" / "failure").read_text()
    assert reason.startswith("installing the script's requirements.txt failed: ")
    assert "no-such-package-here" in reason
