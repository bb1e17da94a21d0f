"""One dependency group of pyproject.toml as a pip requirements file.

The image installs exactly the `training` group, so the Ray and torch it runs are the versions the
project tests locally, and pyproject.toml stays the only place that names them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

IMAGE_GROUP = "training"


def group_requirements(pyproject: Path, group: str = IMAGE_GROUP) -> list[str]:
    """The group's requirement strings, in file order; ValueError if it is missing or not plain."""
    groups = tomllib.loads(pyproject.read_text()).get("dependency-groups", {})
    if group not in groups:
        raise ValueError(f"{pyproject} has no dependency group '{group}'")
    requirements = groups[group]
    if not all(isinstance(requirement, str) for requirement in requirements):
        raise ValueError(f"dependency group '{group}' may hold only requirement strings (no include-group)")
    return requirements


def write_requirements(pyproject: Path, out: Path, group: str = IMAGE_GROUP) -> Path:
    """Write the group as a requirements file; the content alone decides the image layer's cache key."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{requirement}\n" for requirement in group_requirements(pyproject, group)))
    return out
