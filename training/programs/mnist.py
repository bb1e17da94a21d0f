"""MNIST in its production format: the four IDX files, gzip or raw.

Images stay uint8 (one byte a pixel) until a batch is used, so that many concurrent
trials sharing one copy through Ray's object store never hold float copies of the set.
"""

from __future__ import annotations

import dataclasses
import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from training.errors import JobError

IMAGE_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABEL_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
SIDE = 28
# Normalisation of the reference SageMaker MNIST job (MNIST's mean and standard deviation).
MEAN, STD = 0.1307, 0.3081

FILES = {
    "training": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "testing": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclasses.dataclass(frozen=True)
class Digits:
    """Images (N, 28, 28) and labels (N,), both uint8."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def load_channel(folder: Path, split: str) -> Digits:
    """Read one split ('training' or 'testing') from a channel folder and check it is sound."""
    image_name, label_name = FILES[split]
    images = read_idx(_find(folder, image_name), IMAGE_MAGIC)
    labels = read_idx(_find(folder, label_name), LABEL_MAGIC)
    if images.shape[1:] != (SIDE, SIDE):
        raise JobError(f"{image_name} holds {images.shape[1]}x{images.shape[2]} images; {SIDE}x{SIDE} are expected")
    if len(images) != len(labels):
        raise JobError(f"the '{split}' channel has {len(images)} images but {len(labels)} labels")
    if len(labels) == 0:
        raise JobError(f"the '{split}' channel holds no examples")
    if labels.max() > 9:
        raise JobError(f"{label_name} holds label {labels.max()}; digits are 0 to 9")
    return Digits(images=images, labels=labels)


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Parse one IDX file; every way it can be wrong is a JobError naming the file."""
    try:
        raw = _read_bytes(path)
    # zlib.error: a gzip header that is sound over damaged compressed data.
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise JobError(f"{path.name} cannot be read ({error})") from None
    if len(raw) < 4 or struct.unpack(">I", raw[:4])[0] != magic:
        found = raw[:4].hex() if raw else "nothing"
        raise JobError(
            f"{path.name} is not an IDX file of the expected kind (magic number {found}, expected {magic:08x})"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise JobError(f"{path.name} is truncated: its header is incomplete")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape)) if shape else 0
    if len(raw) - header != expected:
        raise JobError(
            f"{path.name} is truncated or corrupt: the header promises {expected} bytes of data,"
            f" the file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write uint8 data as a gzip IDX file (the inverse of read_idx)."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x00000800 | data.ndim
    header = struct.pack(f">I{data.ndim}I", magic, *data.shape)
    # A fixed mtime keeps the files byte-identical from run to run.
    path.write_bytes(gzip.compress(header + data.tobytes(), mtime=0))


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    raise JobError(f"{name}.gz (or {name}) is missing from {folder}")


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as stream:
        gzipped = stream.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as stream:
        return stream.read()
