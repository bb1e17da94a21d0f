"""Session fixtures for the image tests: private container storage, a loopback registry, the image built once.

Everything lives in temporary folders made here and removed at the end: no Docker daemon, no
/var/lib/containers, no network but loopback (and PyPI for the build's pip, as on a user's machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.container.image_build import IMAGE_FIXTURES, ImageBuild, write_outputs
from tests.support import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_START_TIMEOUT_S = 30
IMAGE_TOOLS = ("buildah", "docker-registry", "mmdebstrap")


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


def _needs_image(item: pytest.Item) -> bool:
    return not IMAGE_FIXTURES.isdisjoint(item.fixturenames)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that need the image last, in their own order: it builds in the background meanwhile."""
    items.sort(key=_needs_image)


@pytest.fixture(scope="session")
def outputs(registry: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stack outputs file like `make deploy` writes, naming the loopback registry."""
    return write_outputs(tmp_path_factory.mktemp("stack") / "cdk-outputs.json", registry)


@pytest.fixture(scope="session", autouse=True)
def image_build(request: pytest.FixtureRequest) -> Iterator[ImageBuild | None]:
    """The image's build, started at the session's first container test when any test of the session needs it.

    None when no test does, or when a tool is missing: then the tests that need it skip (or fail on CI) on
    their own, through require_tool, and the other container tests run as before.
    """
    if not any(map(_needs_image, request.session.items)) or not all(map(shutil.which, IMAGE_TOOLS)):
        yield None
        return
    values = [request.getfixturevalue(name) for name in ("buildah", "repo_copy", "outputs")]
    build = ImageBuild.start(*values)
    yield build
    build.wait()


@pytest.fixture(scope="session")
def base_image(image_build: ImageBuild | None, buildah: Callable, require_tool: Callable[[str], str]) -> str:
    """The stand-in base the image is built on (tests/container/image_build.py, make_base).

    It asks for buildah and mmdebstrap first, so that a missing tool skips (or, on CI, fails) as it says.
    """
    require_tool("mmdebstrap")
    assert image_build, "the image build did not start"
    return image_build.base.result()
