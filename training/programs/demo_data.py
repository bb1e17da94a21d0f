"""Real handwritten digits in MNIST's production format, made without a download.

scikit-learn ships 1,797 handwritten 8x8 digits. Each is scaled to 20x20 and centred in a
28x28 frame (how MNIST itself was made), then written as the four MNIST IDX gzip files,
split 80/20 into `training` and `testing` channels, the same split on every run.

    python -m training.programs.demo_data OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from training.programs.mnist import FILES, SIDE, write_idx

_DIGIT_SIDE = 20
_TEST_FRACTION = 0.2
_SPLIT_SEED = 0


def digit_images() -> tuple[np.ndarray, np.ndarray]:
    """All of scikit-learn's digits as (N, 28, 28) uint8 images and (N,) uint8 labels."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    scaled = zoom(digits.images / 16.0, (1, _DIGIT_SIDE / 8, _DIGIT_SIDE / 8), order=1)
    pad = (SIDE - _DIGIT_SIDE) // 2
    framed = np.pad(scaled, ((0, 0), (pad, pad), (pad, pad)))
    return np.clip(framed * 255, 0, 255).round().astype(np.uint8), digits.target.astype(np.uint8)


def write_digits(out_dir: Path) -> dict[str, Path]:
    """Write the two channels under out_dir and return {channel: folder}."""
    from sklearn.model_selection import train_test_split

    images, labels = digit_images()
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=_TEST_FRACTION, random_state=_SPLIT_SEED, stratify=labels
    )
    channels = {}
    for split, x, y in (("training", train_x, train_y), ("testing", test_x, test_y)):
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        image_name, label_name = FILES[split]
        write_idx(folder / f"{image_name}.gz", x)
        write_idx(folder / f"{label_name}.gz", y)
        channels[split] = folder
    return channels


if __name__ == "__main__":
    for channel, folder in write_digits(Path(sys.argv[1])).items():
        print(f"{channel}: {folder}")
