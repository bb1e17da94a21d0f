"""Which program builds and pushes images: docker when a Docker daemon answers, else podman, else buildah.

All three take the same `build`, `push` and `login` arguments that `make push-image` uses.
"""

from __future__ import annotations

import shutil
import subprocess

CANDIDATES = ("docker", "podman", "buildah")
_DOCKER_INFO_TIMEOUT_S = 10


def docker_daemon_answers() -> bool:
    """True when `docker info` reaches a daemon (the docker CLI alone builds nothing)."""
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=_DOCKER_INFO_TIMEOUT_S).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def choose_tool(requested: str | None = None) -> str:
    """The tool asked for, or the first usable one; RuntimeError when there is none."""
    if requested:
        return requested
    if docker_daemon_answers():
        return "docker"
    for name in CANDIDATES[1:]:
        if shutil.which(name):
            return name
    raise RuntimeError("no container tool: start a Docker daemon or install podman or buildah")
