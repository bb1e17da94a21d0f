"""Session fixtures for the image tests: private container storage, a loopback registry, a test base image.

Everything lives in temporary folders made here and removed at the end: no Docker daemon, no
/var/lib/containers, no network but loopback (and PyPI for the build's pip, as on a user's machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from container.requirements import group_requirements
from tests.support import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
TEST_BASE = "localhost/ray-sm-test-base:latest"
# The real base is the official python:3.11-slim-bookworm: Debian 12 with Python 3.11 and CA certificates.
# Debian 12's own Python is 3.11 too (3.11.2), with venv (and its bundled pip) in a package of its own.
BASE_PACKAGES = "python3,python3-venv,ca-certificates"
REGISTRY_START_TIMEOUT_S = 30


def _overlay_mounts(scratch: Path) -> bool:
    """Whether the kernel mounts overlayfs here: buildah's overlay driver then avoids vfs's full copies."""
    for name in ("lower", "upper", "work", "merged"):
        (scratch / name).mkdir(parents=True)
    options = f"lowerdir={scratch}/lower,upperdir={scratch}/upper,workdir={scratch}/work"
    mounted = (
        subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o", options, str(scratch / "merged")], capture_output=True
        ).returncode
        == 0
    )
    if mounted:
        subprocess.run(["umount", str(scratch / "merged")], check=True)
    shutil.rmtree(scratch)
    return mounted


@pytest.fixture(scope="session")
def buildah(require_tool: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable]:
    """Run buildah on a storage of its own (chroot isolation, as root, as docs/architecture.md records)."""
    require_tool("buildah")
    home = tmp_path_factory.mktemp("containers")
    driver = "overlay" if _overlay_mounts(home / "probe") else "vfs"
    (home / "storage.conf").write_text(
        f'[storage]\ndriver = "{driver}"\ngraphroot = "{home}/storage"\nrunroot = "{home}/run"\n'
    )
    env = {
        **os.environ,
        "CONTAINERS_STORAGE_CONF": str(home / "storage.conf"),
        "BUILDAH_ISOLATION": "chroot",
        "BUILDAH_LAYERS": "true",
    }

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["buildah", *args], env=env, capture_output=True, text=True, check=check)

    run.env = env
    yield run
    subprocess.run(["buildah", "rm", "--all"], env=env, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def registry(require_tool: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's docker-registry (a real OCI registry) on a free loopback port; yields `127.0.0.1:PORT`."""
    require_tool("docker-registry")
    home = tmp_path_factory.mktemp("registry")
    address = f"127.0.0.1:{free_port()}"
    (home / "config.yml").write_text(
        f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {home}/data\n"
        f"http:\n  addr: {address}\n  secret: test-only\n"
    )
    argv = ["docker-registry", "serve", str(home / "config.yml")]
    with serving(argv, f"http://{address}/v2/", home / "log", REGISTRY_START_TIMEOUT_S):
        yield address
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def digits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real handwritten digits as the `training` and `testing` channels, in MNIST's IDX format."""
    from training.programs.demo_data import write_digits

    return write_digits(tmp_path_factory.mktemp("digits"))


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


@pytest.fixture(scope="session")
def base_image(buildah: Callable, require_tool: Callable[[str], str]) -> str:
    """A stand-in for python:3.11-slim-bookworm, which cannot be pulled here: Debian 12 with its Python 3.11.

    mmdebstrap writes the root file system straight into a mounted scratch container (no tarball to
    write and read back). Like the real base it holds no torch: the image's build installs it.
    """
    require_tool("mmdebstrap")
    container = buildah("from", "scratch").stdout.strip()
    root = buildah("mount", container).stdout.strip()
    subprocess.run(
        ["mmdebstrap", "--quiet", "--variant=apt", f"--include={BASE_PACKAGES}", "bookworm", root], check=True
    )
    buildah("umount", container)
    buildah("commit", "--quiet", "--rm", container, TEST_BASE)
    return TEST_BASE


@pytest.fixture(scope="session")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The working tree as a fresh one-commit repository, so the push sees a clean tree and a known commit."""
    copy = tmp_path_factory.mktemp("repo")
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listing.split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-C", str(copy)]
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], check=True)
    yield copy
    shutil.rmtree(copy, ignore_errors=True)
