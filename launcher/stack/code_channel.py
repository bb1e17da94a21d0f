"""`make run`: the script's folder as the job's `code` channel, packed once and uploaded once.

The folder is read the way Ray reads a working dir (`make ray-submit` ships the same folder): the
`.gitignore` and `.rayignore` files in it and in its subfolders apply, each to its own subtree, with
git's pattern rules (pathspec's GitIgnoreSpec). Git's and Python's own clutter never goes: `.git`,
`__pycache__`, `*.pyc` and every virtual environment (a folder holding `pyvenv.cfg`, whatever its name).

The files go up one by one under `code/<sha256 of their paths and contents>/` in the data bucket, so
SageMaker's File mode lays out the very same tree in /opt/ml/input/data/code and the entry point runs
the script from there. The key is the content: a folder uploaded before is not sent again, and a
half-finished upload is completed by the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pathspec
from botocore.exceptions import ClientError

from launcher.errors import LauncherError, service_answer
from launcher.stack.outputs import Stack

CODE_PREFIX = "code"
IGNORE_FILES = (".gitignore", ".rayignore")
ALWAYS_SKIPPED = ["__pycache__", ".git", ".venv", "*.pyc"]
DEFAULT_LIMIT_MIB = 100
_MIB = 1024 * 1024
_ALWAYS = pathspec.GitIgnoreSpec.from_lines(ALWAYS_SKIPPED)


@dataclasses.dataclass(frozen=True)
class Packed:
    """The files of a script's folder that make up its code channel, and their content digest."""

    folder: Path
    entry_script: str
    files: dict[str, Path]  # relative POSIX path -> file on this machine
    size: int
    digest: str

    def uri(self, stack: Stack) -> str:
        """Where the channel lives: one prefix per distinct content."""
        return f"s3://{stack.data_bucket}/{CODE_PREFIX}/{self.digest}/"


def pack_code(script: Path, limit_mib: int = DEFAULT_LIMIT_MIB) -> Packed:
    """The script's folder, less what the ignore rules leave out; LauncherError if too big or the script is left out."""
    if not script.is_file():
        raise LauncherError(f"SCRIPT={script} is not a file: give the path of your Python program")
    folder = script.resolve().parent
    entry = script.resolve().relative_to(folder).as_posix()
    files = dict(sorted(_kept(folder)))
    if entry not in files:
        raise LauncherError(f"{script} is left out by an ignore rule in {folder}: take it out of .gitignore/.rayignore")
    sizes = {name: path.stat().st_size for name, path in files.items()}
    size = sum(sizes.values())
    if size > limit_mib * _MIB:
        biggest = max(sizes, key=sizes.__getitem__)
        raise LauncherError(
            f"{folder} holds {size / _MIB:.1f} MiB to upload (the biggest file is {biggest}, "
            f"{sizes[biggest] / _MIB:.1f} MiB), more than the {limit_mib} MiB limit for code: list data and outputs "
            "in its .gitignore or .rayignore (data belongs in the data bucket), or raise --code-limit-mb"
        )
    return Packed(folder, entry, files, size, _digest(files))


def _kept(folder: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, file) for each file no rule leaves out; ignored folders are not entered."""
    rules: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for top, dirs, names in os.walk(folder):
        here = Path(top)
        rules = [(base, spec) for base, spec in rules if here.is_relative_to(base)]
        rules += [(here, _spec(here / name)) for name in IGNORE_FILES if (here / name).is_file()]
        dirs[:] = sorted(d for d in dirs if not _ignored(here / d, True, rules) and not _is_venv(here / d))
        for name in names:
            path = here / name
            if path.is_file() and not _ignored(path, False, rules):
                yield path.relative_to(folder).as_posix(), path


def _is_venv(folder: Path) -> bool:
    """A virtual environment by any name: venv writes pyvenv.cfg at its root."""
    return (folder / "pyvenv.cfg").is_file()


def _spec(path: Path) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(path.read_text(encoding="utf-8", errors="replace").splitlines())


def _ignored(path: Path, is_dir: bool, rules: list[tuple[Path, pathspec.GitIgnoreSpec]]) -> bool:
    """Whether the always-skipped names or an ignore file (relative to its own folder) leave path out."""
    suffix = "/" if is_dir else ""
    if _ALWAYS.match_file(path.name + suffix):
        return True
    return any(spec.match_file(path.relative_to(base).as_posix() + suffix) for base, spec in rules)


def _digest(files: dict[str, Path]) -> str:
    """SHA-256 over each file's relative path and the SHA-256 of its bytes, in path order."""
    total = hashlib.sha256()
    for name, path in files.items():
        total.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return total.hexdigest()


def upload_code(packed: Packed, stack: Stack, session: boto3.Session) -> int:
    """Upload the files the channel's prefix lacks; return how many were sent (0: the folder was there already)."""
    s3 = session.client("s3")
    prefix = f"{CODE_PREFIX}/{packed.digest}/"
    try:
        present = {
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.data_bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        }
        missing = {name: path for name, path in packed.files.items() if prefix + name not in present}
        for name, path in missing.items():
            s3.upload_file(str(path), stack.data_bucket, prefix + name)
    except ClientError as error:
        raise LauncherError(
            f"upload of {packed.folder} to {packed.uri(stack)} failed ({service_answer(error)}): check make deploy"
        ) from None
    return len(missing)
