"""The MNIST IDX loader on good files and on each way a file can be bad."""

import gzip
import shutil

import numpy as np
import pytest

from training.errors import JobError
from training.programs.mnist import IMAGE_MAGIC, load_channel, read_idx, write_idx


def test_digits_load_as_compact_uint8(digits):
    train = load_channel(digits["training"], "training")
    test = load_channel(digits["testing"], "testing")
    assert train.images.shape == (1437, 28, 28) and test.images.shape == (360, 28, 28)
    assert train.images.dtype == np.uint8 and train.labels.dtype == np.uint8
    assert set(np.unique(train.labels)) == set(range(10))
    assert train.images.max() == 255


def test_raw_files_load_like_gzip(tmp_path, digits):
    for source in digits["testing"].iterdir():
        (tmp_path / source.name.removesuffix(".gz")).write_bytes(gzip.decompress(source.read_bytes()))
    raw = load_channel(tmp_path, "testing")
    assert np.array_equal(raw.images, load_channel(digits["testing"], "testing").images)


def test_write_then_read_round_trips(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x.gz", array)
    assert np.array_equal(read_idx(tmp_path / "x.gz", IMAGE_MAGIC), array)


@pytest.fixture
def channel(tmp_path, digits):
    folder = tmp_path / "testing"
    shutil.copytree(digits["testing"], folder)
    return folder


IMAGES, LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"


def test_missing_file(channel):
    (channel / LABELS).unlink()
    with pytest.raises(JobError, match="t10k-labels-idx1-ubyte.gz .or t10k-labels-idx1-ubyte. is missing"):
        load_channel(channel, "testing")


def test_wrong_magic_number(channel):
    (channel / LABELS).write_bytes(gzip.compress((channel / IMAGES).read_bytes()[:100]))
    with pytest.raises(JobError, match="is not an IDX file of the expected kind"):
        load_channel(channel, "testing")


def test_truncated_file(channel):
    data = gzip.decompress((channel / IMAGES).read_bytes())
    (channel / IMAGES).write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(JobError, match="is truncated or corrupt"):
        load_channel(channel, "testing")


def test_corrupt_gzip(channel):
    data = (channel / IMAGES).read_bytes()
    (channel / IMAGES).write_bytes(data[: len(data) // 2])
    with pytest.raises(JobError, match="cannot be read"):
        load_channel(channel, "testing")


def test_count_mismatch(channel):
    write_idx(channel / LABELS, np.zeros(10, dtype=np.uint8))
    with pytest.raises(JobError, match="the 'testing' channel has 360 images but 10 labels"):
        load_channel(channel, "testing")


def test_wrong_image_size(channel):
    write_idx(channel / IMAGES, np.zeros((360, 8, 8), dtype=np.uint8))
    with pytest.raises(JobError, match="8x8 images; 28x28 are expected"):
        load_channel(channel, "testing")


def test_empty_set(channel):
    write_idx(channel / IMAGES, np.zeros((0, 28, 28), dtype=np.uint8))
    write_idx(channel / LABELS, np.zeros(0, dtype=np.uint8))
    with pytest.raises(JobError, match="the 'testing' channel holds no examples"):
        load_channel(channel, "testing")


def test_labels_out_of_range(channel):
    write_idx(channel / LABELS, np.full(360, 12, dtype=np.uint8))
    with pytest.raises(JobError, match="holds label 12; digits are 0 to 9"):
        load_channel(channel, "testing")
