"""The image tag: the git commit the image was built from, so a job's image names its source, and a
short hash of what else makes the image (base image, build arguments), so that a build on another base or
with other arguments never takes, or is mistaken for, the tag of an earlier one.

A tree with uncommitted changes would make that name a lie, so it is refused unless forced; a forced
build gets a tag of its own (`<commit>-dirty-<UTC time>`) that can never pass for the commit's image,
and never collides with another push in a repository whose tags are immutable.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

BUILD_HASH_LENGTH = 8
# Every tag `make push-image` gives (container/push.py): `<commit>[-dirty-<time>]-<build hash>[-gpu]`.
TAG_PATTERN = re.compile(rf"[0-9a-f]{{12,40}}(-dirty-\d{{14}})?-[0-9a-f]{{{BUILD_HASH_LENGTH}}}(-gpu)?")


class DirtyTree(Exception):
    """The working tree has uncommitted changes and the build was not forced."""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def image_tag(repo: Path, force: bool = False, now: datetime | None = None) -> str:
    """`<12-character commit>`, or `<commit>-dirty-<time>` for a forced build of a changed tree."""
    commit = _git(repo, "rev-parse", "--short=12", "HEAD")
    changes = _git(repo, "status", "--porcelain")
    if not changes:
        return commit
    if not force:
        raise DirtyTree(
            f"the working tree has uncommitted changes, so the image would not be commit {commit}:\n"
            f"{changes}\ncommit them, or run with FORCE=1 to push a '{commit}-dirty-...' image"
        )
    return f"{commit}-dirty-{(now or datetime.now(UTC)):%Y%m%d%H%M%S}"


def build_hash(base_image: str, build_args: Sequence[str]) -> str:
    """8 hex digits of SHA-256 over the base image reference and the build arguments, in order."""
    text = "\n".join([base_image, *build_args])
    return hashlib.sha256(text.encode()).hexdigest()[:BUILD_HASH_LENGTH]


def named_build_args(arguments: Sequence[str]) -> list[str]:
    """The NAME=VALUE of each `--build-arg` among a build's extra arguments (mounts and the like change
    nothing in the image, so they stay out of the hash)."""
    found = []
    for index, argument in enumerate(arguments):
        if argument == "--build-arg" and index + 1 < len(arguments):
            found.append(arguments[index + 1])
        elif argument.startswith("--build-arg="):
            found.append(argument.partition("=")[2])
    return found
