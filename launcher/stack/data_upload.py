"""`make data`: the four MNIST IDX files into the data bucket, one prefix per channel.

By default the digits data set the demo builds; or a folder of the user's own files (gzip or raw),
flat or in `training/` and `testing/` subfolders, parsed first with training's own reader so a broken
file fails here and not in a job. A file whose SHA-256 matches the object's recorded one is skipped
(the ETag of a KMS-encrypted object is not its MD5, so the checksum travels as object metadata).
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from launcher.errors import LauncherError, service_answer
from launcher.stack.outputs import Stack
from training.errors import JobError
from training.programs.mnist import FILES, load_channel

CHECKSUM_KEY = "sha256"


@dataclasses.dataclass(frozen=True)
class Uploaded:
    """One file's fate: sent, or skipped because the bucket already holds the same bytes."""

    uri: str
    sent: bool


def channel_files(folder: Path) -> dict[str, list[Path]]:
    """The two files of each channel in folder, after checking that they parse as a sound channel."""
    found = {}
    for channel, names in FILES.items():
        where = folder / channel if (folder / channel).is_dir() else folder
        try:
            load_channel(where, channel)
        except JobError as error:
            raise LauncherError(f"{error}: fix the files, or run make data without DATA for the digits") from None
        found[channel] = [next(p for p in (where / f"{n}.gz", where / n) if p.is_file()) for n in names]
    return found


def upload_channels(stack: Stack, session: boto3.Session, folder: Path | None = None) -> list[Uploaded]:
    """Upload the channels (the digits when folder is None); return what happened to each file."""
    if folder is None:
        from training.programs.demo_data import write_digits

        with tempfile.TemporaryDirectory() as scratch:
            write_digits(Path(scratch))
            return upload_channels(stack, session, Path(scratch))
    if not folder.is_dir():
        raise LauncherError(f"DATA={folder} is not a folder: give the folder that holds the four IDX files")
    s3 = session.client("s3")
    try:
        return [
            _put(s3, stack.data_bucket, f"{channel}/{path.name}", path)
            for channel, paths in channel_files(folder).items()
            for path in paths
        ]
    except ClientError as error:
        raise LauncherError(
            f"upload to s3://{stack.data_bucket} failed ({service_answer(error)}): check make deploy"
        ) from None


def _put(s3, bucket: str, key: str, path: Path) -> Uploaded:
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    uri = f"s3://{bucket}/{key}"
    try:
        if s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get(CHECKSUM_KEY) == checksum:
            return Uploaded(uri, sent=False)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": {CHECKSUM_KEY: checksum}})
    return Uploaded(uri, sent=True)
