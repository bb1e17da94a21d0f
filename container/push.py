"""`make push-image`: build the training image for linux/amd64, push it to the stack's repository, and
record the pushed URI for `make train`.

    python -m container.push --outputs cdk-outputs.json [--stack NAME] [--tool docker|podman|buildah]
        [--force] [--gpu] [--base-image IMAGE] [--build-args "..."] [--push-args "..."] [--image-file PATH]

Runs from the repository root, which is the build context (.dockerignore lets in only what the image needs).
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from container import ecr
from container.image_file import IMAGE_FILE, record_image
from container.requirements import write_requirements
from container.stack_outputs import OutputsError, stack_output
from container.tag import DirtyTree, build_hash, image_tag, named_build_args
from container.tool import choose_tool
from infra.stack_names import OUTPUTS_FILE, REPOSITORY_URI

DOCKERFILE = Path("container/Dockerfile")
REQUIREMENTS = Path("build/image/requirements.txt")
PLATFORM = "linux/amd64"
# torch 2.13's CUDA 12 build (its others are CUDA 13.0 and 13.2, which need NVIDIA driver 580 or newer):
# CUDA 12.x runs on drivers 525 and newer (CUDA minor version compatibility). The CPU image's index is
# the Dockerfile's default.
GPU_BUILD_ARGS = ("TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126",)
# SageMaker has rejected OCI manifests ("Unsupported manifest media type"): every tool pushes Docker v2
# schema 2. podman and buildah write OCI unless told; docker with the containerd store adds provenance
# and SBOM attestations, which turn the push into an OCI index.
MANIFEST_FLAGS = {
    "build": {
        "docker": ("--provenance=false", "--sbom=false"),
        "podman": ("--format", "docker"),
        "buildah": ("--format", "docker"),
    },
    "push": {"podman": ("--format", "docker"), "buildah": ("--format", "docker")},
}


def default_base_image(dockerfile: Path) -> str:
    """The Dockerfile's default BASE_IMAGE, which a build without BASE_IMAGE runs on."""
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"{dockerfile} has no default for ARG BASE_IMAGE")
    return match[1]


def registry_host(image: str) -> str:
    """The registry part of an image reference (`host[:port]/name:tag` -> `host[:port]`)."""
    return image.split("/", 1)[0]


def build_command(tool: str, uri: str, build_args: Sequence[str], extra: Sequence[str]) -> list[str]:
    """The build, the same for docker, podman and buildah but for the manifest flags."""
    flags = [flag for arg in build_args for flag in ("--build-arg", arg)]
    manifest = MANIFEST_FLAGS["build"].get(tool, ())
    return [
        tool,
        "build",
        "--platform",
        PLATFORM,
        "--file",
        str(DOCKERFILE),
        *manifest,
        *flags,
        *extra,
        "--tag",
        uri,
        ".",
    ]


def push_command(tool: str, uri: str, extra: Sequence[str]) -> list[str]:
    """The push, with the flag that makes podman and buildah write a Docker v2 schema 2 manifest."""
    return [tool, "push", *MANIFEST_FLAGS["push"].get(tool, ()), *extra, uri]


def push_image(args: argparse.Namespace) -> str:
    """Build and push unless the registry already holds this tag; record the URI; return it."""
    build_args = [*(GPU_BUILD_ARGS if args.gpu else ())]
    if args.base_image:
        build_args.append(f"BASE_IMAGE={args.base_image}")
    base = args.base_image or default_base_image(DOCKERFILE)
    configuration = build_hash(base, [*build_args, *named_build_args(shlex.split(args.build_args))])
    tag = f"{image_tag(Path.cwd(), force=args.force)}-{configuration}" + ("-gpu" if args.gpu else "")
    uri = f"{stack_output(args.outputs, REPOSITORY_URI, args.stack)}:{tag}"
    if ecr.image_exists(uri):
        print(f"{uri} is already in the repository: recording it without building it again")
    else:
        build_and_push(args, uri, build_args, base)
    record_image(uri, args.image_file)
    return uri


def build_and_push(args: argparse.Namespace, uri: str, build_args: Sequence[str], base: str) -> None:
    """Log in where the build pulls and pushes, build the image as `uri`, push it, check its manifest."""
    tool = choose_tool(args.tool)
    write_requirements(Path("pyproject.toml"), REQUIREMENTS)
    ecr.login(tool, [registry_host(uri), registry_host(base)])
    _run(build_command(tool, uri, build_args, shlex.split(args.build_args)))
    _run(push_command(tool, uri, shlex.split(args.push_args)))
    media_type = ecr.manifest_media_type(uri)
    if media_type not in (None, ecr.DOCKER_V2_MANIFEST):
        raise ValueError(
            f"ECR holds {uri} with a {media_type} manifest, which SageMaker may refuse: delete it "
            f"(tags are immutable) and push again with a tool that writes {ecr.DOCKER_V2_MANIFEST}"
        )


def _run(command: list[str]) -> None:
    print("+ " + shlex.join(command), flush=True)
    subprocess.run(command, check=True)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make push-image", description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=Path, default=OUTPUTS_FILE, help="the stack's outputs file")
    parser.add_argument("--stack", default=None, help="stack name in the outputs file (default: its only stack)")
    parser.add_argument("--tool", default=None, help="docker, podman or buildah (default: the first usable)")
    parser.add_argument("--force", action="store_true", help="push from a tree with uncommitted changes")
    parser.add_argument("--gpu", action="store_true", help="install a CUDA 12 torch")
    parser.add_argument("--base-image", default=None, help="build on this image instead of the Dockerfile's")
    parser.add_argument("--build-args", default="", help="extra arguments for the build, one string")
    parser.add_argument("--push-args", default="", help="extra arguments for the push, one string")
    parser.add_argument("--image-file", type=Path, default=IMAGE_FILE, help="where to record the URI")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        uri = push_image(parse(argv))
    except (DirtyTree, OutputsError, ValueError, RuntimeError) as error:
        print(f"push-image: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"push-image: AWS said: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"push-image: {shlex.join(map(str, error.cmd))} failed (exit {error.returncode})", file=sys.stderr)
        return 1
    print(f"pushed {uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
