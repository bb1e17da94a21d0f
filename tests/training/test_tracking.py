"""Experiment tracking against a real `mlflow server` on loopback (SQLite backend, artifacts in a folder).

train, tune and a script job run through the entry point, as in the image; their runs, child runs,
params, per-epoch metrics and artifacts are read back with MlflowClient. A server stopped mid-job
costs the job one warning line, never the job.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port
from tests.training.mlflow_server import Relay, runs_of, start_server

pytestmark = pytest.mark.usefixtures("ray_two_nodes")
REPOSITORY = Path(__file__).resolve().parents[2]

SCRIPT = """
import mlflow
with mlflow.start_run() as run:
    mlflow.log_metric("script_metric", 7.0, step=3)
print("script run", run.info.run_id)
"""


@pytest.fixture(scope="module")
def tracking(tmp_path_factory) -> Iterator[str]:
    """The tracking URI of a real MLflow server shared by the module."""
    port = free_port()
    with start_server(tmp_path_factory.mktemp("mlflow"), port):
        yield f"http://127.0.0.1:{port}"


def _run_tracked(root: Path, uri: str, experiment: str) -> subprocess.CompletedProcess:
    """The entry point in a process of its own, as in a job: a named job sets its Ray token in its environment."""
    environ = {
        **os.environ,
        "SM_BASE_DIR": str(root),
        "SM_NUM_CPUS": "2",
        "SM_NUM_GPUS": "0",
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_EXPERIMENT_NAME": experiment,
        "TRAINING_JOB_NAME": f"{experiment}-job",
        "RAY_SM_IMAGE": "img:abc",
    }
    return subprocess.run(
        [sys.executable, "-m", "training.entrypoint", "train"],
        env=environ,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_train_logs_one_run_with_params_epochs_and_model(make_job, quick, tracking):
    root = make_job({"program": "train", "epochs": "2", "num-workers": "2", "cpus-per-worker": "1", **quick})
    done = _run_tracked(root, tracking, "train-exp")
    assert done.returncode == 0, done.stderr[-3000:]
    client, runs = runs_of(tracking, "train-exp")
    assert len(runs) == 1  # one run for the job, not one per worker
    run = runs[0]
    assert run.info.status == "FINISHED" and run.info.run_name == "train-exp-job"
    assert run.data.params["num_workers"] == "2" and run.data.params["hosts"] == "1"
    assert run.data.params["epochs"] == "2" and run.data.params["backend"] == "gloo"
    assert run.data.tags["image"] == "img:abc" and run.data.tags["sagemaker.job"] == "train-exp-job"
    for metric in ("train_loss", "test_loss", "test_accuracy", "epoch_seconds"):
        assert [m.step for m in client.get_metric_history(run.info.run_id, metric)] == [1, 2], metric
    assert {a.path for a in client.list_artifacts(run.info.run_id)} == {"model.pth", "metrics.json"}
    assert "warning: MLflow" not in done.stdout


def test_tune_logs_a_parent_run_with_one_child_per_trial_and_marks_the_best(make_job, quick, tracking):
    hyperparameters = {"program": "tune", "epochs": "1", "beta-1-grid": "0.8,0.9", "beta-2-grid": "0.99", **quick}
    done = _run_tracked(make_job(hyperparameters), tracking, "tune-exp")
    assert done.returncode == 0, done.stderr[-3000:]
    client, runs = runs_of(tracking, "tune-exp")
    parents = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    assert len(parents) == 1 and len(runs) == 3
    parent = parents[0]
    children = [run for run in runs if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(child.data.params["beta_1"] for child in children) == ["0.8", "0.9"]
    assert all(client.get_metric_history(child.info.run_id, "test_loss")[0].step == 1 for child in children)
    best = [child for child in children if child.data.tags.get("best_trial") == "true"]
    assert len(best) == 1 and parent.data.tags["best_trial"] == best[0].info.run_name
    assert {"results.csv", "heatmap.png", "model.pth"} <= {a.path for a in client.list_artifacts(parent.info.run_id)}


def test_a_script_lands_in_the_jobs_run(tmp_path, make_job, tracking):
    code = tmp_path / "code"
    code.mkdir()
    (code / "job.py").write_text(SCRIPT)
    root = make_job({"program": "script", "entry-script": "job.py"}, {"code": code})
    done = _run_tracked(root, tracking, "script-exp")
    assert done.returncode == 0, done.stderr[-3000:]
    client, runs = runs_of(tracking, "script-exp")
    assert len(runs) == 1 and runs[0].info.run_name == "script-exp-job"
    assert client.get_metric_history(runs[0].info.run_id, "script_metric")[0].value == 7.0


def test_a_server_stopped_mid_job_costs_one_warning_not_the_job(tmp_path, make_job, quick, tracking):
    """The entry point in a process of its own (its own Ray), reaching the server through a relay that is cut
    once the run exists: from then on, to the job, the server has stopped."""
    root = make_job({"program": "train", "epochs": "2", **quick})
    relay = Relay(int(tracking.rsplit(":", 1)[1]))
    env = {
        **os.environ,
        "SM_BASE_DIR": str(root),
        "SM_NUM_CPUS": "2",
        "SM_NUM_GPUS": "0",
        "MLFLOW_TRACKING_URI": f"http://user:secret@127.0.0.1:{relay.port}",
        "MLFLOW_EXPERIMENT_NAME": "stopped",
        "RAY_ADDRESS": "local",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPOSITORY),
    }
    job = subprocess.Popen(
        [sys.executable, "-m", "training.entrypoint", "train"],
        env=env,
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in job.stdout:
        lines.append(line)
        if line.startswith("MLflow run "):
            relay.cut()
    assert job.wait(timeout=60) == 0, "".join(lines)
    warnings = [line for line in lines if line.startswith("warning: MLflow")]
    assert len(warnings) == 1, "".join(lines)
    assert "secret" not in "".join(lines)
    assert not [line for line in lines if "resolving request headers" in line]  # sagemaker-mlflow's noise
    assert (root / "model" / "model.pth").exists()
    _, (run,) = runs_of(tracking, "stopped")
    assert run.info.status == "RUNNING"  # created, then never reached again
