"""The image found from the stack itself: the newest `make push-image` tag in the stack's ECR repository
(moto's ECR, images put as `make push-image` leaves them), for machines without build/image-uri.txt."""

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from launcher.errors import LauncherError
from launcher.stack.image import image_uri, newest_tag
from launcher.stack.outputs import Stack

MANIFEST = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "layers": []}


@pytest.fixture
def empty_stack(deployed, session, moto_env, request) -> Stack:
    """The deployed stack with a repository of this test's own (so no other test's pushes count)."""
    name = f"images-{request.node.name.lower().replace('_', '-')[:40]}"
    uri = session.client("ecr").create_repository(repositoryName=name)["repository"]["repositoryUri"]
    yield dataclasses.replace(Stack.from_outputs("ray-on-sagemaker", deployed), repository_uri=uri)
    session.client("ecr").delete_repository(repositoryName=name, force=True)


def push(session, stack: Stack, tag: str, layer: str) -> None:
    manifest = {**MANIFEST, "config": {"digest": f"sha256:{layer * 64}"[:71]}}
    session.client("ecr").put_image(
        repositoryName=stack.repository_uri.split("/", 1)[1], imageManifest=json.dumps(manifest), imageTag=tag
    )


def test_without_a_recorded_uri_the_newest_push_image_tag_of_the_stacks_repository_runs(
    empty_stack, session, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("IMAGE_URI", raising=False)
    push(session, empty_stack, "fedcba987654-bbbbbbbb-gpu", "b")
    push(session, empty_stack, "latest", "c")  # not a tag make push-image gives: never chosen
    found = image_uri(empty_stack, session, None, tmp_path / "no-build" / "image-uri.txt")
    assert found == f"{empty_stack.repository_uri}:fedcba987654-bbbbbbbb-gpu"


def test_the_newest_by_push_time_wins_among_push_image_tags() -> None:
    """moto stamps pushes to the second, so the order is shown on DescribeImages' answer itself."""
    images = [
        {"imagePushedAt": datetime(2026, 12, 3, 10, tzinfo=UTC), "imageTags": ["fedcba987654-bbbbbbbb"]},
        {"imagePushedAt": datetime(2026, 12, 3, 11, tzinfo=UTC), "imageTags": ["0123456789ab-aaaaaaaa-gpu"]},
        {"imagePushedAt": datetime(2026, 12, 3, 12, tzinfo=UTC), "imageTags": ["latest"]},
        {"imagePushedAt": datetime(2026, 12, 3, 13, tzinfo=UTC)},  # untagged
    ]
    assert newest_tag(images) == "0123456789ab-aaaaaaaa-gpu"
    assert newest_tag(images[2:]) is None


def test_no_image_anywhere_is_one_sentence_naming_make_push_image(empty_stack, session, tmp_path, monkeypatch):
    monkeypatch.delenv("IMAGE_URI", raising=False)
    push(session, empty_stack, "latest", "c")
    with pytest.raises(LauncherError, match=r"no training image in .*: run make push-image first \(or give one"):
        image_uri(empty_stack, session, None, tmp_path / "image-uri.txt")
