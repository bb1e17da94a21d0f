"""The image's command, run outside a container on a SageMaker-shaped folder, trains and writes model.pth.

It runs container/train, the very file the image has on PATH as its ENTRYPOINT, with the project's Python
first on PATH and the repository on PYTHONPATH, as the image has its venv and /opt/program.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from training.contract.layout import layout

ROOT = Path(__file__).resolve().parents[2]


def test_train_command_trains_and_writes_the_model(tmp_path: Path, digits: dict[str, Path]) -> None:
    layout(tmp_path, {"epochs": "1", "program": "train"}, digits)
    env = {
        **os.environ,
        "SM_BASE_DIR": str(tmp_path),
        "SM_NUM_CPUS": "2",
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        [str(ROOT / "container" / "train"), "train"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "model" / "model.pth").stat().st_size > 0
    assert "epoch=1 " in result.stdout and "test_accuracy=" in result.stdout
    assert not (tmp_path / "output" / "failure").exists()
