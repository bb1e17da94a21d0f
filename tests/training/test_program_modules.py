"""`python -m training.train` and `python training/tune.py` run their program under the image's contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.contract.layout import layout

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "program"),
    [(["-m", "training.train"], "train"), (["training/tune.py"], "tune")],
)
def test_a_program_module_runs_its_program_whatever_the_files_say(tmp_path, argv, program):
    root = tmp_path / "job"
    layout(root, {"program": "script", "epochs": "2"}, {})  # no data: the run ends before Ray starts
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(SM_BASE_DIR=str(root), SM_NUM_CPUS="1", SM_NUM_GPUS="0")

    done = subprocess.run(
        [sys.executable, *argv, "train"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300
    )

    assert f"running {program} on algo-1" in done.stdout, done.stderr
    assert done.returncode == 1
    assert (root / "output" / "failure").read_text() == (
        "the 'training' data channel is missing (channels given: none)\n"
    )
