"""Each bad input ends the job the way SageMaker expects: one sentence, the failure file, exit 1, no model."""

import shutil

import numpy as np
import pytest

from training.programs.mnist import write_idx
from training.programs.outputs import MODEL_FILE


def _break_nothing(channels):
    return channels


def _drop_testing_channel(channels):
    return {"training": channels["training"]}


def _delete_labels(channels):
    (channels["training"] / "train-labels-idx1-ubyte.gz").unlink()
    return channels


def _corrupt_images(channels):
    (channels["testing"] / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8bnot really gzip")
    return channels


def _damage_compressed_images(channels):
    """A sound gzip header over damaged deflate data: gzip raises zlib.error, not an OSError."""
    path = channels["training"] / "train-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[12:14] = bytes(255 - byte for byte in data[12:14])
    path.write_bytes(bytes(data))
    return channels


def _mismatch_counts(channels):
    write_idx(channels["training"] / "train-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    return channels


def _empty_testing_set(channels):
    write_idx(channels["testing"] / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), dtype=np.uint8))
    write_idx(channels["testing"] / "t10k-labels-idx1-ubyte.gz", np.zeros(0, dtype=np.uint8))
    return channels


@pytest.mark.parametrize(
    ("hyperparameters", "damage", "message"),
    [
        ({"epochs": "0"}, _break_nothing, "hyperparameter 'epochs' must be at least 1, got 0"),
        ({"beta_1": "1"}, _break_nothing, "hyperparameter 'beta_1' must be in [0.0, 1.0), got 1"),
        ({"learning-rate": "fast"}, _break_nothing, "hyperparameter 'learning-rate' must be a number, got 'fast'"),
        ({"dropout": "0.5"}, _break_nothing, "unknown hyperparameter 'dropout'"),
        ({}, _drop_testing_channel, "the 'testing' data channel is missing (channels given: training)"),
        ({}, _delete_labels, "train-labels-idx1-ubyte.gz (or train-labels-idx1-ubyte) is missing"),
        ({}, _corrupt_images, "t10k-images-idx3-ubyte.gz cannot be read"),
        ({}, _damage_compressed_images, "train-images-idx3-ubyte.gz cannot be read"),
        ({}, _mismatch_counts, "the 'training' channel has 1437 images but 5 labels"),
        ({}, _empty_testing_set, "the 'testing' channel holds no examples"),
        ({"program": "tune", "beta-2-grid": "0.9,1"}, _break_nothing, "hyperparameter 'beta-2-grid' must be in"),
    ],
)
def test_bad_input_fails_plainly(tmp_path, digits, make_job, capsys, hyperparameters, damage, message, quick, run_job):
    channels = {name: shutil.copytree(folder, tmp_path / "data" / name) for name, folder in digits.items()}
    root = make_job({**quick, **hyperparameters}, damage(channels))
    stale = root / "model" / MODEL_FILE
    stale.write_bytes(b"left over from an earlier run")

    status = run_job(root)

    stderr = capsys.readouterr().err
    assert status == 1
    assert stderr.strip() == f"error: {message}" or message in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert message in (root / "output" / "failure").read_text()
    assert not stale.exists()
