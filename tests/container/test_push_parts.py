"""The parts of `make push-image` that decide things: tag, outputs, registry login, tool."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from container import ecr, push, tool
from container.stack_outputs import OutputsError, stack_output
from container.tag import DirtyTree, build_hash, image_tag, named_build_args
from infra import stack_names


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A throwaway git repository with one commit, in a folder of tmp_path."""
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "file.txt").write_text("one\n")
    commit_all(path)
    return path


def commit_all(repo: Path) -> None:
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-C",
            str(repo),
            "commit",
            "-qm",
            "snapshot",
        ],
        check=True,
    )


def commit_of(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout[:12]


def test_clean_tree_is_tagged_with_its_commit(repo: Path) -> None:
    assert image_tag(repo) == commit_of(repo)


@pytest.mark.parametrize("change", ["modified", "untracked"])
def test_changed_tree_is_refused_unless_forced(repo: Path, change: str) -> None:
    (repo / ("file.txt" if change == "modified" else "new.py")).write_text("two\n")
    with pytest.raises(DirtyTree, match="FORCE=1"):
        image_tag(repo)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert image_tag(repo, force=True, now=now) == f"{commit_of(repo)}-dirty-20260102030405"


def test_build_hash_changes_with_the_base_and_the_build_arguments_only() -> None:
    base = "public.ecr.aws/docker/library/python:3.11-slim-bookworm@sha256:" + "0" * 64
    cpu, cuda = (
        "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu",
        "TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126",
    )
    first = build_hash(base, [cpu])
    assert re.fullmatch(r"[0-9a-f]{8}", first) and first == build_hash(base, [cpu])
    assert first != build_hash(base.replace("0" * 64, "1" * 64), [cpu])
    assert first != build_hash(base, [cuda])
    extra = ["-v", "/etc/ssl:/etc/ssl:ro", "--build-arg", "A=1", "--no-cache", "--build-arg=B=2"]
    assert named_build_args(extra) == ["A=1", "B=2"]


def test_stack_output_reads_the_only_stack_or_the_named_one(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"Ray": {stack_names.REPOSITORY_URI: "r1", stack_names.REGION: "eu-west-1"}}))
    assert stack_output(outputs, stack_names.REPOSITORY_URI) == "r1"
    outputs.write_text(json.dumps({"A": {stack_names.REPOSITORY_URI: "a"}, "B": {stack_names.REPOSITORY_URI: "b"}}))
    assert stack_output(outputs, stack_names.REPOSITORY_URI, "B") == "b"
    with pytest.raises(OutputsError, match="several stacks"):
        stack_output(outputs, stack_names.REPOSITORY_URI)
    with pytest.raises(OutputsError, match=f"no output '{stack_names.REGION}'"):
        stack_output(outputs, stack_names.REGION, "A")
    with pytest.raises(OutputsError, match="make deploy"):
        stack_output(tmp_path / "missing.json", stack_names.REPOSITORY_URI)


def test_only_ecr_registries_are_logged_in_to(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(ecr, "ecr_password", lambda region: f"secret-{region}")
    monkeypatch.setattr(ecr.subprocess, "run", lambda argv, **kw: calls.append((argv, kw["input"])))
    hosts = [
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "127.0.0.1:5000",
        "docker.io",
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ]
    assert ecr.login("podman", hosts) == [hosts[0], hosts[3]]
    assert calls[0] == (["podman", "login", "--username", "AWS", "--password-stdin", hosts[0]], "secret-eu-west-1")


@pytest.fixture
def fake_ecr(monkeypatch: pytest.MonkeyPatch):
    """moto's ECR in this process, with dummy credentials."""
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        import boto3

        yield boto3.client("ecr", region_name="us-west-2")


def test_ecr_password_is_the_token_after_aws(fake_ecr) -> None:
    token = fake_ecr.get_authorization_token()
    expected = base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode()
    assert "AWS:" + ecr.ecr_password("us-west-2") == expected


def test_image_exists_asks_ecr_for_the_tag(fake_ecr) -> None:
    repository = fake_ecr.create_repository(repositoryName="team/ray")["repository"]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": "sha256:" + "0" * 64,
        },
        "layers": [],
    }
    fake_ecr.put_image(repositoryName="team/ray", imageManifest=json.dumps(manifest), imageTag="abc")
    uri = repository["repositoryUri"]
    assert ecr.image_exists(f"{uri}:abc")
    assert not ecr.image_exists(f"{uri}:def")
    assert not ecr.image_exists("127.0.0.1:5000/team/ray:abc")


def test_tool_prefers_a_docker_daemon_then_podman_then_buildah(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"podman", "buildah"}
    monkeypatch.setattr(tool.shutil, "which", lambda name: f"/usr/bin/{name}" if name in installed else None)
    monkeypatch.setattr(tool, "docker_daemon_answers", lambda: False)
    assert tool.choose_tool() == "podman"
    installed.discard("podman")
    assert tool.choose_tool() == "buildah"
    assert tool.choose_tool("docker") == "docker"
    monkeypatch.setattr(tool, "docker_daemon_answers", lambda: True)
    assert tool.choose_tool() == "docker"
    installed.clear()
    monkeypatch.setattr(tool, "docker_daemon_answers", lambda: False)
    with pytest.raises(RuntimeError, match="no container tool"):
        tool.choose_tool()


REPOSITORY_URI = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/r"


@pytest.fixture
def push_run(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run container.push in a repository holding the image's files, recording commands instead of running them."""
    root = Path(__file__).resolve().parents[2]
    for name in ("pyproject.toml", "container/Dockerfile"):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text((root / name).read_text())
    commit_all(repo)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"S": {stack_names.REPOSITORY_URI: REPOSITORY_URI, stack_names.REGION: "eu-west-1"}}))
    recorded = {"commands": [], "logins": []}
    monkeypatch.setattr(push, "_run", recorded["commands"].append)
    monkeypatch.setattr(ecr, "login", lambda tool, hosts: recorded["logins"].append((tool, hosts)))
    monkeypatch.chdir(repo)

    def run(*args: str) -> dict:
        recorded["status"] = push.main(["--outputs", str(outputs), "--image-file", str(tmp_path / "uri.txt"), *args])
        uri_file = tmp_path / "uri.txt"
        recorded["uri_file"] = uri_file.read_text() if uri_file.exists() else None
        return recorded

    return run


def test_push_builds_for_amd64_with_a_docker_v2_manifest_and_records_the_uri(
    push_run, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ecr, "image_exists", lambda uri: False)
    monkeypatch.setattr(ecr, "manifest_media_type", lambda uri: ecr.DOCKER_V2_MANIFEST)
    recorded = push_run("--tool", "podman", "--gpu", "--push-args=--retry 3")
    base = push.default_base_image(Path("container/Dockerfile"))
    uri = f"{REPOSITORY_URI}:{commit_of(repo)}-{build_hash(base, list(push.GPU_BUILD_ARGS))}-gpu"
    assert recorded["status"] == 0 and recorded["uri_file"] == uri + "\n"
    assert recorded["logins"] == [("podman", ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "public.ecr.aws"])]
    build, pushed = recorded["commands"]
    assert build[:5] == ["podman", "build", "--platform", "linux/amd64", "--file"] and build[-3:] == ["--tag", uri, "."]
    assert build[6:8] == ["--format", "docker"] and "TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126" in build
    assert pushed == ["podman", "push", "--format", "docker", "--retry", "3", uri]
    assert (repo / "build/image/requirements.txt").read_text().startswith("torch==")


@pytest.mark.parametrize(
    "tool, build_flags, push_flags",
    [
        ("docker", ["--provenance=false", "--sbom=false"], []),
        ("buildah", ["--format", "docker"], ["--format", "docker"]),
    ],
)
def test_every_tool_is_told_to_write_docker_v2_manifests(tool: str, build_flags: list, push_flags: list) -> None:
    build = push.build_command(tool, "r:t", [], [])
    assert build[6 : 6 + len(build_flags)] == build_flags
    assert push.push_command(tool, "r:t", []) == [tool, "push", *push_flags, "r:t"]


def test_another_base_image_gets_another_tag(push_run, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecr, "image_exists", lambda uri: True)
    default = push_run("--tool", "podman")["uri_file"]
    other = push_run("--tool", "podman", "--base-image", "example.org/python:3.11@sha256:" + "1" * 64)["uri_file"]
    assert default.startswith(f"{REPOSITORY_URI}:{commit_of(repo)}-") and other != default


def test_an_oci_manifest_in_ecr_fails_the_push_with_one_sentence(
    push_run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(ecr, "image_exists", lambda uri: False)
    monkeypatch.setattr(ecr, "manifest_media_type", lambda uri: "application/vnd.oci.image.index.v1+json")
    recorded = push_run("--tool", "podman")
    assert recorded["status"] == 1 and recorded["uri_file"] is None  # recorded only after a good push
    err = capsys.readouterr().err
    assert "application/vnd.oci.image.index.v1+json manifest, which SageMaker may refuse" in err


def test_ecr_reports_the_manifest_media_type_it_holds(fake_ecr) -> None:
    repository = fake_ecr.create_repository(repositoryName="team/ray")["repository"]
    for tag, media_type in (("docker", ecr.DOCKER_V2_MANIFEST), ("oci", "application/vnd.oci.image.manifest.v1+json")):
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "layers": [],
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + "0" * 64,
            },
        }
        fake_ecr.put_image(repositoryName="team/ray", imageManifest=json.dumps(manifest), imageTag=tag)
    uri = repository["repositoryUri"]
    assert ecr.manifest_media_type(f"{uri}:docker") == ecr.DOCKER_V2_MANIFEST
    assert ecr.manifest_media_type(f"{uri}:oci") == "application/vnd.oci.image.manifest.v1+json"
    assert ecr.manifest_media_type("127.0.0.1:5000/team/ray:docker") is None


def test_a_commit_already_in_ecr_is_recorded_without_building(
    push_run, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ecr, "image_exists", lambda uri: True)
    recorded = push_run("--tool", "podman")
    assert recorded["status"] == 0 and recorded["uri_file"].startswith(f"{REPOSITORY_URI}:{commit_of(repo)}-")
    assert recorded["commands"] == [] and recorded["logins"] == []
