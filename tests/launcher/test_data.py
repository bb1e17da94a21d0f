"""`make data DATA=folder`: the user's own IDX files, flat or per channel, gzip or raw, parsed before upload."""

import gzip
import shutil

import pytest

from launcher.errors import LauncherError
from launcher.stack.data_upload import channel_files
from training.programs.demo_data import write_digits


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> dict:
    return write_digits(tmp_path_factory.mktemp("digits"))


def test_files_are_found_flat_or_per_channel_and_gzip_or_raw(digits, tmp_path) -> None:
    assert {c: [p.name for p in paths] for c, paths in channel_files(digits["training"].parent).items()} == {
        "training": ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
        "testing": ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"],
    }
    for folder in digits.values():
        for path in folder.iterdir():
            (tmp_path / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
    found = channel_files(tmp_path)
    assert [p.name for p in found["testing"]] == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def test_a_broken_file_is_refused_with_its_name_before_anything_is_uploaded(digits, tmp_path) -> None:
    for channel, folder in digits.items():
        shutil.copytree(folder, tmp_path / channel)
    labels = tmp_path / "testing" / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-10]))
    with pytest.raises(
        LauncherError, match="t10k-labels-idx1-ubyte.gz is truncated .*: fix the files, or run make data"
    ):
        channel_files(tmp_path)
