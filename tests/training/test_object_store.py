"""Ray's object store is fitted to /dev/shm, so it stays in memory; a small /dev/shm gets a floor, on disk,
and one line that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.cluster.object_store import FLOOR_BYTES, object_store_bytes, plan_object_store

GIB = 1024**3
MIB = 1024**2


def test_a_large_shm_gets_rays_share_of_memory_in_memory() -> None:
    assert plan_object_store(shm_free=64 * GIB, memory_bytes=32 * GIB) == (int(32 * GIB * 0.3), None)


def test_a_mid_sized_shm_caps_the_store_below_its_free_space() -> None:
    size, notice = plan_object_store(shm_free=2 * GIB, memory_bytes=64 * GIB)
    assert FLOOR_BYTES <= size <= 2 * GIB * 0.95 and notice is None


def test_dockers_default_64_mib_shm_keeps_the_floor_on_disk_with_one_line() -> None:
    size, notice = plan_object_store(shm_free=64 * MIB, memory_bytes=16 * GIB)
    assert size == FLOOR_BYTES
    assert notice is not None and "\n" not in notice
    assert "only 64 MiB free" in notice and "RAY_TMPDIR" in notice


def test_the_free_space_is_read_from_the_folder_given(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """tmp_path lies on a disk with far more than 1.2 GiB free: Ray's share, silently."""
    assert object_store_bytes(tmp_path, memory_bytes=4 * GIB) == int(4 * GIB * 0.3)
    assert capsys.readouterr().out == ""
