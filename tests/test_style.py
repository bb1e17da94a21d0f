"""The code keeps one style: `make lint-python` (ruff, pinned, configured in pyproject.toml) finds nothing."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    done = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "lint-python"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
