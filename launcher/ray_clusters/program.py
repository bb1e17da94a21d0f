"""What runs on a Ray cluster that is not SageMaker's (Ray Jobs, Anyscale): entrypoint, working dir, packages.

A script runs as `python SCRIPT ARGS` in its own folder; train and tune run as
`python -m training.ray_job PROGRAM ARGS` in a folder holding a copy of training/ only. Packages are
the image's pins without Ray (the cluster's own Ray runs the job) plus the script's requirements.txt.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

from container.requirements import group_requirements
from launcher.errors import LauncherError
from launcher.stack.code_channel import ALWAYS_SKIPPED
from training.contract.programs import RAY_JOB_PROGRAMS, TRAIN

REPOSITORY = Path(__file__).resolve().parents[2]  # launcher/ray_clusters/ -> the repository
EXCLUDES = ALWAYS_SKIPPED  # what `make run` never uploads either


@dataclasses.dataclass(frozen=True)
class RayProgram:
    """One job for a Ray cluster: its command line, the folder shipped with it, the packages it needs."""

    entrypoint: str
    working_dir: Path
    requirements: list[str]


def pins(pyproject: Path = REPOSITORY / "pyproject.toml") -> list[str]:
    """The image's pins without Ray: a job must run on the Ray that runs the cluster."""
    return [pin for pin in group_requirements(pyproject) if not pin.lower().startswith("ray")]


def ray_program(script: Path | None, program: str, args: Sequence[str], staging: Path) -> RayProgram:
    """The script's job, or train/tune's with training/ copied into staging (emptied first)."""
    if script is not None:
        if not script.is_file():
            raise LauncherError(f"script '{script}' is not a file")
        folder = script.resolve().parent
        return RayProgram(shlex.join(["python", script.name, *args]), folder, script_requirements(folder))
    if program not in RAY_JOB_PROGRAMS:
        raise LauncherError(f"program must be one of {', '.join(RAY_JOB_PROGRAMS)}, got '{program}'")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(REPOSITORY / "training", staging / "training", ignore=shutil.ignore_patterns(*EXCLUDES))
    return RayProgram(shlex.join(["python", "-m", "training.ray_job", program, *args]), staging, [])


def script_requirements(folder: Path) -> list[str]:
    """The requirement lines of folder/requirements.txt (no comments, no blanks), if there is one."""
    path = folder / "requirements.txt"
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def env_vars(pairs: Sequence[str]) -> dict[str, str]:
    """NAME=VALUE strings as a dict; a pair without '=' or a name is refused."""
    result = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise LauncherError(f"environment variable must be NAME=VALUE, got '{pair}'")
        result[name.strip()] = value
    return result


def add_program_arguments(parser) -> None:
    """The flags `make ray-submit` and `make anyscale-submit` share."""
    parser.add_argument("--script", type=Path, help="your Python file (its folder is the job's working dir)")
    parser.add_argument("--program", default=TRAIN.name, help=f"without --script: {' or '.join(RAY_JOB_PROGRAMS)}")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="the job's env vars")
    parser.add_argument("args", nargs="*", help="arguments for the script or program (after --)")
