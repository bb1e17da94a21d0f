"""The training image a job runs, found the same way on a laptop, in CI and on the notebook instance.

In this order: an explicit URI (the --image flag, the Python API's `image`, or the IMAGE_URI variable);
the URI `make push-image` recorded in build/image-uri.txt; else the newest image in the stack's own ECR
repository whose tag `make push-image` made (container/tag.py), by its push time. The notebook instance
gets the project without build/, so the last is how it finds the image (its role may DescribeImages on
the repository: infra/permissions.py PUSH_IMAGES).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from container.image_file import IMAGE_FILE, recorded_image
from container.tag import TAG_PATTERN
from launcher.errors import LauncherError, service_answer
from launcher.stack.outputs import Stack

ENV_VAR = "IMAGE_URI"


def image_uri(stack: Stack, session: boto3.Session, explicit: str | None = None, image_file: Path = IMAGE_FILE) -> str:
    """The image to run: explicit, then IMAGE_URI, then the recorded URI, then the repository's newest push."""
    given = explicit_image(explicit)
    if given:
        return given
    found = recorded_image(image_file) or newest_pushed(stack, session)
    if found is None:
        raise LauncherError(
            f"no training image in {stack.repository_uri} or {image_file}: run make push-image first"
            " (or give one with --image / IMAGE_URI)"
        )
    return found


def explicit_image(explicit: str | None = None) -> str | None:
    """The URI the user named: the flag or argument, else the IMAGE_URI variable; None when neither."""
    return explicit or os.environ.get(ENV_VAR, "").strip() or None


def newest_pushed(stack: Stack, session: boto3.Session) -> str | None:
    """`<repository URI>:<tag>` of the stack repository's most recently pushed `make push-image` tag, if any."""
    registry, name = stack.repository_uri.split(".", 1)[0], stack.repository_uri.split("/", 1)[1]
    tag = newest_tag(_images(session.client("ecr"), registry, name))
    return f"{stack.repository_uri}:{tag}" if tag else None


def newest_tag(images: list[dict[str, Any]]) -> str | None:
    """The tag, of `make push-image`'s shape, of the most recently pushed of DescribeImages' imageDetails."""
    tagged = [
        (image["imagePushedAt"], tag)
        for image in images
        for tag in image.get("imageTags", [])
        if TAG_PATTERN.fullmatch(tag)
    ]
    return max(tagged)[1] if tagged else None


def _images(ecr, registry: str, name: str) -> list[dict[str, Any]]:
    """Every image of the repository (DescribeImages pages), or one sentence when it cannot be read."""
    try:
        pages = ecr.get_paginator("describe_images").paginate(registryId=registry, repositoryName=name)
        return [image for page in pages for image in page.get("imageDetails", [])]
    except ClientError as error:
        raise LauncherError(
            f"cannot list the images of repository {name} ({service_answer(error)}): check make deploy"
        ) from None


def image_commit(uri: str) -> str:
    """The commit the image was built from: its tag up to the first dash (container/tag.py's format)."""
    name = uri.split("@", 1)[0].rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name else "unknown"
    return tag.split("-", 1)[0]
