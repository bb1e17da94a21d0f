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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
HOST = "algo-1"
# buildah runs containers, not images: make one from the image, run `train` in it, remove it, keep train's status.
_BUILDAH_RUN = (
    'c=$(buildah from -q "$1") || exit 1; buildah run --isolation chroot -v "$2" "$c" -- train; s=$?; '
    'buildah rm "$c" >/dev/null; exit $s'
)


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


def command(root: Path, job_env: Mapping[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run the image's entry point on a laid-out folder.

    job_env is what SageMaker puts in the container's environment (the request's Environment, the job's name).
    """
    env = {**os.environ, **(job_env or {}), "SM_BASE_DIR": str(root.resolve())}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return [sys.executable, "-m", "training.entrypoint", "train"], env


def local_store(base: Path) -> str:
    """MLflow's tracking URI of a job's own store: SQLite in output/data/mlflow/ (artifacts beside it)."""
    return f"sqlite:///{base / 'output' / 'data' / 'mlflow' / 'mlflow.db'}"


def image_command(tool: str, image: str, root: Path) -> list[str]:
    """The command that runs the pushed image on a laid-out folder, as SageMaker does: `IMAGE train`, /opt/ml mounted.

    buildah runs a container made from the image (`buildah from` first); docker and podman run the image itself.
    """
    mount = f"{root.resolve()}:/opt/ml"
    if tool == "buildah":
        return ["sh", "-c", _BUILDAH_RUN, "sh", image, mount]
    return [tool, "run", "--rm", "-v", mount, image, "train"]


def run(
    root: Path,
    on_line: Callable[[str], None] | None = None,
    argv: Sequence[str] | None = None,
    job_env: Mapping[str, str] | None = None,
) -> int:
    """Run the job on a laid-out folder (the entry point, or argv) and return its exit status.

    Output streams to the terminal, or line by line to on_line (stderr merged) when given.
    """
    default, env = command(root, job_env)
    argv = list(argv or default)
    if on_line is None:
        return subprocess.run(argv, env=env, check=False).returncode
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            on_line(line.rstrip("\n"))
        return process.wait()


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n")
