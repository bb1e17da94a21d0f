"""The file where `make push-image` records the URI it pushed, so `make train`, `make anyscale-submit` and the
launcher run that image without asking ECR. Every command names it with `--image-file`; the Makefile's
IMAGE_URI_FILE is checked equal to IMAGE_FILE by tests/infra/test_makefile.py.
"""

from __future__ import annotations

from pathlib import Path

IMAGE_FILE = Path("build/image-uri.txt")


def record_image(uri: str, path: Path = IMAGE_FILE) -> None:
    """Write the pushed URI, one line, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(uri + "\n")


def recorded_image(path: Path = IMAGE_FILE) -> str | None:
    """The URI recorded in `path`; None when there is no such file or it is empty."""
    return (path.read_text().strip() if path.is_file() else "") or None
