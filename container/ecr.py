"""What `make push-image` asks of ECR: a login for the container tool, and whether a tag is already there.

ECR wants a 12-hour token from GetAuthorizationToken (what `aws ecr get-login-password` prints), fetched
here with boto3 so that no AWS CLI is needed. Registries that are not ECR (a test's loopback registry,
a public base image) are left alone: they need no login, or one the user has already done.
"""

from __future__ import annotations

import base64
import re
import subprocess

# What a SageMaker training image's manifest should be (see container/push.py), and where ECR says which
# one an image has: ImageDetail.imageManifestMediaType of DescribeImages (ECR API reference).
DOCKER_V2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


def ecr_region(host: str) -> str | None:
    """The region of an ECR registry host such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com, else None."""
    match = _ECR_HOST.match(host)
    return match["region"] if match else None


def ecr_password(region: str) -> str:
    """The password half of the region's ECR authorization token (the user name is always AWS)."""
    import boto3

    token = boto3.client("ecr", region_name=region).get_authorization_token()
    encoded = token["authorizationData"][0]["authorizationToken"]
    return base64.b64decode(encoded).decode().partition(":")[2]


def login(tool: str, hosts: list[str]) -> list[str]:
    """Log `tool` in to each ECR host among `hosts`; return the hosts it logged in to."""
    done = []
    for host in dict.fromkeys(hosts):
        region = ecr_region(host)
        if region is None:
            continue
        subprocess.run(
            [tool, "login", "--username", "AWS", "--password-stdin", host],
            input=ecr_password(region),
            text=True,
            check=True,
        )
        done.append(host)
    return done


def image_exists(uri: str) -> bool:
    """Whether `host/repository:tag` is already in ECR (False for any other registry).

    The project's repository has immutable tags: pushing a commit's tag again would fail after a
    whole build, so the push asks first.
    """
    return _describe(uri) is not None


def manifest_media_type(uri: str) -> str | None:
    """The media type of the manifest ECR holds for `host/repository:tag`; None for other registries."""
    detail = _describe(uri)
    return detail.get("imageManifestMediaType") if detail else None


def _describe(uri: str) -> dict | None:
    """ECR's ImageDetail of the tagged image, or None when it is not there or the registry is not ECR."""
    host, _, reference = uri.partition("/")
    match = _ECR_HOST.match(host)
    if match is None:
        return None
    import boto3

    repository, _, tag = reference.rpartition(":")
    client = boto3.client("ecr", region_name=match["region"])
    try:
        found = client.describe_images(
            registryId=match["account"], repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except client.exceptions.ImageNotFoundException:
        return None
    return found["imageDetails"][0]
