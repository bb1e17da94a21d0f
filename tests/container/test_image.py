"""`make push-image` end to end with buildah: build on a test base, push to a loopback registry, pull the
recorded URI back, and check Ray, `train` and a short training run inside the image.

The real base (the SageMaker PyTorch image in private ECR) cannot be pulled here, so the image is built by
the same Makefile target from a base made in conftest.py: Debian 12 (Python 3.11) with the CPU torch wheel.
"""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from container.requirements import group_requirements

REPOSITORY = "ray-on-sagemaker"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PUSH_TIMEOUT_S = 900
ROOT = Path(__file__).resolve().parents[2]
# The first test's setup builds the base and the image and pushes it (about 5.5 min on 2 cores here).
pytestmark = pytest.mark.timeout(1500)


def make_push_image(repo: Path, buildah: Callable, outputs: Path, base: str) -> subprocess.CompletedProcess:
    """`make push-image` in `repo` as a user without Docker would run it, pointed at the test registry."""
    # The build's pip reaches PyPI only with this machine's CA bundle; torch is already in the test base.
    build_args = "--build-arg TORCH_INDEX_URL=" + (f" -v {CA_BUNDLE}:{CA_BUNDLE}:ro" if Path(CA_BUNDLE).exists() else "")
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "push-image", f"PY={sys.executable}",
         "CONTAINER_TOOL=buildah", f"STACK_OUTPUTS={outputs}", f"BASE_IMAGE={base}",
         f"IMAGE_BUILD_ARGS={build_args}", "IMAGE_PUSH_ARGS=--tls-verify=false --disable-compression"],
        cwd=repo, env=buildah.env, capture_output=True, text=True, timeout=PUSH_TIMEOUT_S,
    )


@pytest.fixture(scope="session")
def outputs(registry: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stack outputs file like `make deploy` writes, naming the loopback registry."""
    path = tmp_path_factory.mktemp("stack") / "cdk-outputs.json"
    path.write_text(json.dumps({"RayOnSageMakerTest": {"RepositoryUri": f"{registry}/{REPOSITORY}", "Region": "us-east-1"}}))
    return path


@pytest.fixture(scope="session")
def pushed(repo_copy: Path, buildah: Callable, outputs: Path, base_image: str) -> str:
    """The URI `make push-image` recorded, after building and pushing from the clean repository copy."""
    result = make_push_image(repo_copy, buildah, outputs, base_image)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return (repo_copy / "build" / "image-uri.txt").read_text().strip()


def registry_get(url: str, accept: str = "*/*", method: str = "GET") -> urllib.request.addinfourl:
    return urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}, method=method), timeout=30)


def test_push_records_the_commit_tagged_uri_and_every_blob_is_in_the_registry(
    pushed: str, repo_copy: Path, registry: str
) -> None:
    commit = subprocess.run(["git", "-C", str(repo_copy), "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert pushed == f"{registry}/{REPOSITORY}:{commit}"
    accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
    manifest = json.load(registry_get(f"http://{registry}/v2/{REPOSITORY}/manifests/{commit}", accept))
    for blob in [manifest["config"], *manifest["layers"]]:
        head = registry_get(f"http://{registry}/v2/{REPOSITORY}/blobs/{blob['digest']}", method="HEAD")
        assert int(head.headers["Content-Length"]) == blob["size"]


@pytest.fixture(scope="session")
def pulled(pushed: str, buildah: Callable) -> str:
    """The pushed image, dropped from local storage and pulled back by its recorded URI."""
    buildah("rmi", pushed)
    buildah("pull", "--quiet", "--tls-verify=false", pushed)
    return pushed


@pytest.fixture
def container(pulled: str, buildah: Callable) -> Iterator[str]:
    """A working container of the pulled image, removed after the test."""
    name = buildah("from", pulled).stdout.strip()
    yield name
    buildah("rm", name)


def test_pulled_image_has_the_pinned_ray_and_torch_and_train_on_path(container: str, buildah: Callable) -> None:
    pins = dict(r.split("==") for r in group_requirements(ROOT / "pyproject.toml"))
    script = "import ray, torch; print(ray.__version__, torch.__version__.split('+')[0])"
    versions = buildah("run", container, "--", "python", "-c", script).stdout.split()
    assert versions == [pins["ray[train,tune,default]"], pins["torch"]]
    assert buildah("run", container, "--", "sh", "-c", "command -v train").stdout.strip() == "/opt/program/bin/train"


def test_image_runs_a_training_job_as_sagemaker_starts_it(
    container: str, pulled: str, buildah: Callable, tmp_path: Path, digits: dict[str, Path]
) -> None:
    from launcher.local import layout

    layout(tmp_path, {"epochs": "1", "program": "train"}, digits)
    config = json.loads(buildah("inspect", "--type", "image", pulled).stdout)["OCIv1"]["config"]
    # `docker run IMAGE train`: the ENTRYPOINT with SageMaker's one argument.
    argv = [*config["Entrypoint"], "train"]
    result = buildah("run", "--volume", f"{tmp_path}:/opt/ml", "--env", "SM_NUM_CPUS=2", container, "--", *argv,
                     check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "model" / "model.pth").stat().st_size > 0
    assert "test_accuracy=" in result.stdout


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
