"""Train and tune end to end on a real two-node Ray cluster, with the real digits."""

import json

import pandas as pd
import pytest
import torch

from training.programs.loop import evaluate
from training.programs.mnist import load_channel
from training.programs.model import Net

pytestmark = pytest.mark.usefixtures("ray_two_nodes")


def _accuracy(model_file, digits):
    model = Net()
    model.load_state_dict(torch.load(model_file, weights_only=True))
    test = load_channel(digits["testing"], "testing")
    batch = [(torch.from_numpy(test.images.copy()), torch.from_numpy(test.labels.copy()).long())]
    return evaluate(model, batch)[1]


def test_train_with_two_workers_reaches_90_percent(make_job, digits, capsys, quick, run_job):
    root = make_job({**quick, "epochs": "4", "num-workers": "2", "cpus-per-worker": "1"})

    assert run_job(root) == 0

    summary = json.loads((root / "model" / "metrics.json").read_text())
    assert summary["workers"]["num_workers"] == 2 and summary["metrics"]["epoch"] == 4
    assert summary["hyperparameters"]["learning_rate"] == "0.01"
    assert _accuracy(root / "model" / "model.pth", digits) >= 0.90
    assert summary["metrics"]["test_accuracy"] >= 0.90
    assert [row["epoch"] for row in summary["history"]] == [1, 2, 3, 4]  # the training curves
    assert summary["history"][-1] == summary["metrics"]
    assert not (root / "output" / "failure").exists()


def test_tune_two_by_two_grid_writes_table_heatmap_and_best_model(make_job, digits, quick, run_job):
    root = make_job({**quick, "program": "tune", "epochs": "2", "beta-1-grid": "0.8,0.9", "beta-2-grid": "0.99,0.98"})

    assert run_job(root) == 0

    table = pd.read_csv(root / "output" / "data" / "results.csv")
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    assert set(zip(table["beta_1"], table["beta_2"], strict=True)) == {
        (0.8, 0.99),
        (0.8, 0.98),
        (0.9, 0.99),
        (0.9, 0.98),
    }
    assert (table["epoch"] == 2).all()
    assert (root / "output" / "data" / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    best = table.loc[table["test_loss"].idxmin()]
    summary = json.loads((root / "model" / "metrics.json").read_text())
    assert summary["best_config"] == {"beta_1": best["beta_1"], "beta_2": best["beta_2"]}
    assert summary["hyperparameters"]["beta_1"] == str(best["beta_1"])
    assert _accuracy(root / "model" / "model.pth", digits) == pytest.approx(best["test_accuracy"], abs=1e-6)


def test_tune_again_resumes_the_same_search_and_starts_afresh_for_another(make_job, quick, run_job, capsys):
    search = {**quick, "program": "tune", "epochs": "1", "beta-1-grid": "0.9", "beta-2-grid": "0.99"}
    root = make_job(search)
    assert run_job(root) == 0
    capsys.readouterr()

    assert run_job(make_job({**search, "log-interval": "5"})) == 0  # changes how it runs, not what it finds
    assert "resuming the search saved in" in capsys.readouterr().out

    assert run_job(make_job({**search, "beta-1-grid": "0.8"})) == 0
    assert "starting a new search" in capsys.readouterr().out
    table = pd.read_csv(root / "output" / "data" / "results.csv")
    assert list(zip(table["beta_1"], table["beta_2"], strict=True)) == [(0.8, 0.99)]


def test_a_corrupt_checkpoint_ends_the_rerun_with_one_sentence(make_job, quick, run_job, capsys):
    root = make_job({**quick, "epochs": "2", "max-failures": "0", "num-workers": "2", "cpus-per-worker": "1"})
    # What SageMaker restores from S3 after a checkpoint upload was cut short.
    partial = root / "checkpoints" / "train" / "checkpoint_2026-11-29_10-00-00.000000" / "checkpoint.pt"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"PK\x03\x04 cut short")

    assert run_job(root) == 1

    failure = (root / "output" / "failure").read_text().strip()
    assert failure.startswith(f"the checkpoint {partial} cannot be resumed from (") and "\n" not in failure
    assert f"error: {failure}" in capsys.readouterr().err
    assert not (root / "model" / "model.pth").exists()
