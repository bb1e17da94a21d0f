"""The local executor: a SageMaker-shaped folder and the image's own entry point, no AWS, no Docker.

It writes exactly what SageMaker writes into a training container (`input/config/*.json`,
`input/data/<channel>/`) under any folder, then runs `python -m training.entrypoint train`
with `SM_BASE_DIR` pointing there, so the code path is the one that runs in the image.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
HOST = "algo-1"


def layout(root: Path, hyperparameters: Mapping[str, str], channels: Mapping[str, Path]) -> None:
    """Lay out a one-host SageMaker training folder at root with the given data channels."""
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    _write_json(config / "hyperparameters.json", {key: str(value) for key, value in hyperparameters.items()})
    _write_json(
        config / "resourceconfig.json",
        {
            "current_host": HOST,
            "hosts": [HOST],
            "network_interface_name": "lo",
            "instance_groups": [{"instance_group_name": "homogeneousCluster", "hosts": [HOST]}],
        },
    )
    _write_json(
        config / "inputdataconfig.json",
        {name: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"} for name in channels},
    )
    for name, source in channels.items():
        shutil.copytree(source, root / "input" / "data" / name, dirs_exist_ok=True)
    for folder in ("model", "output/data", "checkpoints"):
        (root / folder).mkdir(parents=True, exist_ok=True)


def command(root: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run the image's entry point on a laid-out folder."""
    env = {**os.environ, "SM_BASE_DIR": str(root.resolve())}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", "training.entrypoint", "train"], env


def run(root: Path) -> int:
    """Run the job on a laid-out folder with its output streaming; return its exit status."""
    argv, env = command(root)
    return subprocess.run(argv, env=env, check=False).returncode


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n")
