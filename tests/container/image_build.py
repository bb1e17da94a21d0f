"""The test image, built in the background: the stand-in base, `make push-image`, and the pull back by its URI.

Building takes minutes, mostly on one core, so it starts at the session's first container test and the tests
that need the image run last (tests/container/conftest.py orders them): the rest of the session runs meanwhile.
One thread does the three steps in order; each step's future holds its result, or the error it raised.
It runs at the lowest priority (nice 19, which the processes it starts inherit): the build takes the CPU the
other tests leave idle instead of slowing them down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from container.requirements import group_requirements
from infra import stack_names

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "ray-on-sagemaker"
TEST_BASE = "localhost/ray-sm-test-base:latest"
# The real base is the official python:3.11-slim-bookworm: Debian 12 with Python 3.11 and CA certificates.
# Debian 12's own Python is 3.11 too (3.11.2), with venv (and its bundled pip) in a package of its own.
BASE_PACKAGES = "python3,python3-venv,ca-certificates"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PUSH_TIMEOUT_S = 1200
# What the image's tests ask for; a test that needs none of them runs in the session's usual order.
IMAGE_FIXTURES = frozenset({"base_image", "pushed", "pulled"})


def torch_wheels_folder() -> Path:
    """The folder this machine's pip finds links in that holds the CPU wheel of the project's torch pin."""
    pin = next(r for r in group_requirements(ROOT / "pyproject.toml") if r.startswith("torch=="))
    version = pin.partition("==")[2]
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    settings = [line.partition("=") for line in listing.splitlines()]  # e.g. global.find-links='/opt/wheels'
    folders = {
        folder for key, _, value in settings if key.endswith("find-links") for folder in value.strip("'").split()
    }
    for folder in sorted(folders):
        if any(Path(folder).glob(f"torch-{version}+cpu-cp311-*.whl")):
            return Path(folder)
    pytest.fail(f"no CPU wheel of {pin} in pip's find-links folders {sorted(folders)}")


def make_base(buildah: Callable) -> str:
    """A stand-in for python:3.11-slim-bookworm, which cannot be pulled here: Debian 12 with its Python 3.11.

    mmdebstrap writes the root file system straight into a mounted scratch container (no tarball to
    write and read back). Like the real base it holds no torch: the image's build installs it.
    """
    container = buildah("from", "scratch").stdout.strip()
    root = buildah("mount", container).stdout.strip()
    subprocess.run(
        ["mmdebstrap", "--quiet", "--variant=apt", f"--include={BASE_PACKAGES}", "bookworm", root], check=True
    )
    buildah("umount", container)
    buildah("commit", "--quiet", "--rm", container, TEST_BASE)
    return TEST_BASE


def write_outputs(path: Path, registry: str) -> Path:
    """A stack outputs file like `make deploy` writes, naming the loopback registry."""
    outputs = {stack_names.REPOSITORY_URI: f"{registry}/{REPOSITORY}", stack_names.REGION: "us-east-1"}
    path.write_text(json.dumps({"RayOnSageMakerTest": outputs}))
    return path


def make_push_image(repo: Path, buildah: Callable, outputs: Path, base: str) -> subprocess.CompletedProcess:
    """`make push-image` in `repo` as a user without Docker would run it, pointed at the test registry.

    The build's pip reaches PyPI only with this machine's CA bundle, and takes the CPU torch from the
    folder this machine's pip config names (PyTorch's index is out of reach here): both are mounted.
    """
    wheels = torch_wheels_folder()
    pip_conf = repo.parent / "pip.conf"
    pip_conf.write_text(f"[global]\nfind-links = {wheels}\n")
    mounts = f" -v {wheels}:{wheels}:ro -v {pip_conf}:/etc/pip.conf:ro"
    mounts += f" -v {CA_BUNDLE}:{CA_BUNDLE}:ro" if Path(CA_BUNDLE).exists() else ""
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "push-image",
            f"PY={sys.executable}",
            "CONTAINER_TOOL=buildah",
            f"STACK_OUTPUTS={outputs}",
            f"BASE_IMAGE={base}",
            f"IMAGE_BUILD_ARGS=--build-arg TORCH_INDEX_URL={mounts}",
            "IMAGE_PUSH_ARGS=--tls-verify=false --disable-compression",
        ],
        cwd=repo,
        env=buildah.env,
        capture_output=True,
        text=True,
        timeout=PUSH_TIMEOUT_S,
    )


def _pushed_uri(repo: Path, buildah: Callable, outputs: Path, base: Future) -> str:
    """The URI `make push-image` recorded, after building and pushing from the clean repository copy."""
    result = make_push_image(repo, buildah, outputs, base.result())
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return (repo / "build" / "image-uri.txt").read_text().strip()


def _pull_back(buildah: Callable, pushed: Future) -> str:
    """The pushed image, dropped from local storage and pulled back by its recorded URI."""
    uri = pushed.result()
    buildah("rmi", uri)
    buildah("pull", "--quiet", "--tls-verify=false", uri)
    return uri


def _lowest_priority() -> None:
    """Linux gives each thread a nice value of its own, and a process started from the thread inherits it."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


@dataclass(frozen=True)
class ImageBuild:
    """The three steps' futures; `wait` lets the thread end before the storage it works in is removed."""

    base: Future
    pushed: Future
    pulled: Future
    pool: ThreadPoolExecutor

    @classmethod
    def start(cls, buildah: Callable, repo: Path, outputs: Path) -> ImageBuild:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-build", initializer=_lowest_priority)
        base = pool.submit(make_base, buildah)
        pushed = pool.submit(_pushed_uri, repo, buildah, outputs, base)
        return cls(base, pushed, pool.submit(_pull_back, buildah, pushed), pool)

    def wait(self) -> None:
        self.pool.shutdown(wait=True)
