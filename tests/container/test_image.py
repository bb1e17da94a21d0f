"""`make push-image` end to end with buildah: build on a test base, push to a loopback registry, pull the
recorded URI back, and check what SageMaker relies on inside the image.

The real base (python:3.11-slim-bookworm from ECR Public) cannot be pulled here, so the image is built by
the same Makefile target from a stand-in made in image_build.py: Debian 12 with its Python 3.11.
Jobs run as `docker run IMAGE train` would: in a PID namespace of their own (buildah's chroot isolation
makes none, so `unshare` does, inside the container), with the image's ENTRYPOINT as PID 1.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from container.requirements import group_requirements
from tests.container.image_build import REPOSITORY, ImageBuild, make_push_image

DOCKER_V2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
STOP_TIMEOUT_S = 120
ROOT = Path(__file__).resolve().parents[2]
# The first test's setup waits for the image's build (started at the session's first container test, it takes
# 5 to 9 min on 2 shared cores here): the tests here run last (conftest.py).
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="session")
def pushed(base_image: str, registry: str, image_build: ImageBuild) -> str:
    """The URI `make push-image` recorded, after building and pushing from the clean repository copy.

    It asks for the base and the registry first, so that a missing tool skips (or, on CI, fails) as it says.
    """
    return image_build.pushed.result()


def registry_get(url: str, accept: str = "*/*", method: str = "GET") -> urllib.request.addinfourl:
    return urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}, method=method), timeout=30)


def test_push_records_a_docker_v2_manifest_tagged_with_commit_and_build_hash(
    pushed: str, repo_copy: Path, registry: str
) -> None:
    commit = subprocess.run(
        ["git", "-C", str(repo_copy), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert re.fullmatch(rf"{registry}/{REPOSITORY}:{commit}-[0-9a-f]{{8}}", pushed)
    tag = pushed.rpartition(":")[2]
    # Asked for either kind, the registry answers with the kind it stores.
    accept = ", ".join(
        ["application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json", DOCKER_V2_MANIFEST]
    )
    answer = registry_get(f"http://{registry}/v2/{REPOSITORY}/manifests/{tag}", accept)
    manifest = json.load(answer)
    assert answer.headers["Content-Type"] == manifest["mediaType"] == DOCKER_V2_MANIFEST
    assert manifest["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    for blob in [manifest["config"], *manifest["layers"]]:
        assert blob["mediaType"].startswith("application/vnd.docker.")
        head = registry_get(f"http://{registry}/v2/{REPOSITORY}/blobs/{blob['digest']}", method="HEAD")
        assert int(head.headers["Content-Length"]) == blob["size"]


@pytest.fixture(scope="session")
def pulled(image_build: ImageBuild, pushed: str) -> str:
    """The pushed image, dropped from local storage and pulled back by its recorded URI."""
    return image_build.pulled.result()


@pytest.fixture(scope="session")
def entrypoint(pulled: str, buildah: Callable) -> list[str]:
    """The pulled image's ENTRYPOINT."""
    return json.loads(buildah("inspect", "--type", "image", pulled).stdout)["OCIv1"]["config"]["Entrypoint"]


@pytest.fixture
def container(pulled: str, buildah: Callable) -> Iterator[str]:
    """A working container of the pulled image, removed after the test."""
    name = buildah("from", pulled).stdout.strip()
    yield name
    buildah("rm", name)


def as_pid_1(buildah: Callable, container: str, job: Path | None, argv: list[str]) -> list[str]:
    """The buildah command that runs argv as PID 1 of a new PID namespace, /opt/ml bound to `job`."""
    volume = ["--volume", f"{job}:/opt/ml"] if job else []
    run = ["buildah", "run", "--cap-add", "CAP_SYS_ADMIN", *volume, "--env", "SM_NUM_CPUS=2", container]
    return [*run, "--", "unshare", "--pid", "--fork", "--mount-proc", *argv]


def test_pulled_image_has_one_torch_the_pinned_numpy_and_train_on_path(container: str, buildah: Callable) -> None:
    pins = dict(r.split("==") for r in group_requirements(ROOT / "pyproject.toml"))
    script = (
        "import numpy, ray, sys, torch; print(ray.__version__, torch.__version__.split('+')[0], "
        "numpy.__version__, torch.__file__, numpy.__file__, sys.base_prefix)"
    )
    ray_version, torch_version, numpy_version, torch_file, numpy_file, base_prefix = buildah(
        "run", container, "--", "python", "-c", script
    ).stdout.split()
    assert ray_version == pins["ray[train,tune,default]"] and torch_version == pins["torch"]
    assert numpy_version == pins["numpy"]
    assert numpy_version.startswith("2.")
    assert torch_file.startswith("/opt/venv/") and numpy_file.startswith("/opt/venv/")
    # The base's own Python sees neither: nothing of a base stands beside the venv's pins.
    base_import = buildah("run", container, "--", f"{base_prefix}/bin/python3", "-c", "import torch", check=False)
    assert base_import.returncode != 0 and "No module named 'torch'" in base_import.stderr
    assert buildah("run", container, "--", "sh", "-c", "command -v train").stdout.strip() == "/opt/program/bin/train"


def test_image_runs_a_training_job_as_sagemaker_starts_it(
    container: str, entrypoint: list[str], buildah: Callable, tmp_path: Path, digits: dict[str, Path]
) -> None:
    from training.contract.layout import layout

    layout(tmp_path, {"epochs": "1", "program": "train"}, digits)
    # `docker run IMAGE train`: the ENTRYPOINT with SageMaker's one argument.
    result = subprocess.run(
        as_pid_1(buildah, container, tmp_path, [*entrypoint, "train"]), env=buildah.env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "model" / "model.pth").stat().st_size > 0
    assert "test_accuracy=" in result.stdout
    assert list((tmp_path / "output" / "ray").glob("ray/session_*")), "Ray's files belong in RAY_TMPDIR"


def descendants(pid: int) -> list[int]:
    """Every process below pid, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        below = children.get(pending.pop(), [])
        found += below
        pending += below
    return found


def by_namespace_pid(pids: list[int]) -> dict[int, int]:
    """{PID inside the process's own PID namespace (what `ps` there shows): host PID}."""
    found = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # ended meanwhile
            continue
        found[int(re.search(r"^NSpid:\s+(.*)$", status, re.MULTILINE)[1].split()[-1])] = pid
    return found


def test_sigterm_reaches_the_job_through_tini_as_pid_1_and_the_checkpoint_stays(
    container: str, entrypoint: list[str], buildah: Callable, tmp_path: Path, digits: dict[str, Path]
) -> None:
    from training.contract.layout import layout

    layout(
        tmp_path,
        {
            "epochs": "8",
            "program": "train",
            "num-workers": "2",
            "cpus-per-worker": "1",
            "batch-size": "32",
            "log-interval": "10",
        },
        digits,
    )
    job = subprocess.Popen(
        as_pid_1(buildah, container, tmp_path, [*entrypoint, "train"]),
        env=buildah.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in job.stdout:
            if "epoch=2 train_loss=" in line:  # epoch 1's checkpoint has been reported by now
                break
        assert job.poll() is None, "the job ended before its second epoch"
        first = by_namespace_pid(descendants(job.pid))
        assert Path(f"/proc/{first[1]}/cmdline").read_bytes().split(b"\0")[0] == b"tini"
        assert b"training.entrypoint" in Path(f"/proc/{first[2]}/cmdline").read_bytes()
        os.kill(first[1], signal.SIGTERM)  # what `docker stop` does: SIGTERM to the container's PID 1
        rest = job.communicate(timeout=STOP_TIMEOUT_S)[0]
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert job.returncode == 128 + signal.SIGTERM, rest[-3000:]
    assert "the latest checkpoint is kept" in rest
    assert any(path.is_file() for path in (tmp_path / "checkpoints").rglob("*"))
    assert not (tmp_path / "model" / "model.pth").exists()


ORPHAN = """
import os, time
read, write = os.pipe()
if os.fork() == 0:
    if os.fork() == 0:  # the grandchild outlives its parent, so PID 1 inherits it
        os.write(write, str(os.getpid()).encode())
        time.sleep(0.5)
        os._exit(0)
    os._exit(0)
orphan = int(os.read(read, 32))
deadline = time.monotonic() + 20
while os.path.exists(f"/proc/{orphan}") and time.monotonic() < deadline:
    time.sleep(0.05)
print("reaped" if not os.path.exists(f"/proc/{orphan}") else open(f"/proc/{orphan}/status").read())
"""


def test_tini_reaps_an_orphaned_process(container: str, entrypoint: list[str], buildah: Callable) -> None:
    init = entrypoint[: entrypoint.index("--") + 1]  # tini and its options, without `train`
    result = subprocess.run(
        as_pid_1(buildah, container, None, [*init, "python", "-c", ORPHAN]),
        env=buildah.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reaped"


def test_dirty_tree_is_refused_before_anything_is_built(
    pushed: str, repo_copy: Path, buildah: Callable, outputs: Path, base_image: str, registry: str
) -> None:
    change = repo_copy / "training" / "uncommitted.py"
    change.write_text("")
    try:
        result = make_push_image(repo_copy, buildah, outputs, base_image)
    finally:
        change.unlink()
    assert result.returncode != 0
    assert "uncommitted changes" in result.stderr and "FORCE=1" in result.stderr
    tags = json.load(registry_get(f"http://{registry}/v2/{REPOSITORY}/tags/list"))["tags"]
    assert tags == [pushed.rpartition(":")[2]]
