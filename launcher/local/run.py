"""Running a job on this machine: the image's entry point, or the pushed image itself, on a laid-out folder.

The folder is laid out as SageMaker lays out /opt/ml (training/contract/layout.py); the entry point then
runs with `SM_BASE_DIR` pointing there, so the code path is the one that runs in the image.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from training.contract.layout import entrypoint_command

# buildah runs containers, not images: make one from the image, run `train` in it, remove it, keep train's status.
_BUILDAH_RUN = (
    'c=$(buildah from -q "$1") || exit 1; buildah run --isolation chroot -v "$2" "$c" -- train; s=$?; '
    'buildah rm "$c" >/dev/null; exit $s'
)


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
    default, env = entrypoint_command(root, job_env)
    argv = list(argv or default)
    if on_line is None:
        return subprocess.run(argv, env=env, check=False).returncode
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            on_line(line.rstrip("\n"))
        return process.wait()
