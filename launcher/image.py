"""The training image a job runs: the one `make push-image` recorded, or IMAGE_URI when given."""
from __future__ import annotations

from pathlib import Path

from launcher.errors import LauncherError

DEFAULT_URI_FILE = Path("build/image-uri.txt")


def image_uri(explicit: str | None = None, uri_file: Path = DEFAULT_URI_FILE) -> str:
    """The image to run; an explicit URI wins over the recorded one."""
    if explicit:
        return explicit
    if not uri_file.is_file() or not uri_file.read_text().strip():
        raise LauncherError(f"no training image recorded in {uri_file}: run make push-image first (or set IMAGE_URI)")
    return uri_file.read_text().strip()


def image_commit(uri: str) -> str:
    """The commit the image was built from: its tag up to the first dash.

    `make push-image` tags `<commit>`, `<commit>-gpu` or `<commit>-dirty-<time>` (container/tag.py).
    """
    name = uri.split("@", 1)[0].rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name else "unknown"
    return tag.split("-", 1)[0]
