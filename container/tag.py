"""The image tag: the git commit the image was built from, so a job's image names its source.

A tree with uncommitted changes would make that name a lie, so it is refused unless forced; a forced
build gets a tag of its own (`<commit>-dirty-<UTC time>`) that can never pass for the commit's image,
and never collides with another push in a repository whose tags are immutable.
"""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path


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
    return f"{commit}-dirty-{(now or datetime.now(timezone.utc)):%Y%m%d%H%M%S}"
