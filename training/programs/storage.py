"""Ray's storage path, local folder or s3:// URI alike: what a job finds there from an earlier run.

pyarrow's filesystems (Ray's own storage layer) read both; its S3 filesystem honours AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import pyarrow.fs


def join(root: str, *names: str) -> str:
    """A path or URI under root."""
    return "/".join([root.rstrip("/"), *names])


def folders(root: str, prefix: str) -> list[str]:
    """Names of the folders directly under root that start with prefix, sorted; none when root is absent."""
    filesystem, path = pyarrow.fs.FileSystem.from_uri(root)
    entries = filesystem.get_file_info(pyarrow.fs.FileSelector(path, allow_not_found=True))
    return sorted(
        entry.base_name
        for entry in entries
        if entry.type == pyarrow.fs.FileType.Directory and entry.base_name.startswith(prefix)
    )


def exists(uri: str) -> bool:
    """Whether a file is there."""
    filesystem, path = pyarrow.fs.FileSystem.from_uri(uri)
    return filesystem.get_file_info(path).type == pyarrow.fs.FileType.File
