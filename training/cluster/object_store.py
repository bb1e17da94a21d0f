"""How large Ray's object store is on this host: as large as /dev/shm allows, so it stays in memory.

Why: Ray sizes its object store at 30 % of memory and, when /dev/shm has less free space than that, moves
it to disk under its temp folder with a paragraph of warnings. SageMaker has no setting for the size of
a training container's /dev/shm, so the store is fitted to what /dev/shm has free. Below a floor that
the jobs here need, it is kept at the floor and lives on disk in RAY_TMPDIR (the image puts that on the
job's storage volume), announced with one line instead of Ray's paragraph.
"""

from __future__ import annotations

import os
from pathlib import Path

SHM = Path("/dev/shm")
FLOOR_BYTES = 512 * 1024**2
# Ray's own default share of memory for the object store (ray_constants.DEFAULT_OBJECT_STORE_MEMORY_PROPORTION).
MEMORY_SHARE = 0.3
# Ray keeps 5 % of /dev/shm free when it sizes the store itself (ray._private.utils.resolve_object_store_memory).
SHM_USABLE = 0.95
_MIB = 1024**2


def object_store_bytes(shm: Path = SHM, memory_bytes: int | None = None) -> int:
    """The object store size to give ray.init; prints one line when the store has to live on disk."""
    size, notice = plan_object_store(_free_bytes(shm), memory_bytes or _memory_bytes())
    if notice:
        print(notice, flush=True)
    return size


def plan_object_store(shm_free: int, memory_bytes: int) -> tuple[int, str | None]:
    """(bytes, notice): Ray's share of memory cut to fit /dev/shm, or the floor on disk with a notice."""
    fits = int(shm_free * SHM_USABLE)
    if fits >= FLOOR_BYTES:
        return max(FLOOR_BYTES, min(int(memory_bytes * MEMORY_SHARE), fits)), None
    notice = (
        f"object store: /dev/shm has only {shm_free // _MIB} MiB free, so Ray keeps its {FLOOR_BYTES // _MIB} MiB "
        "object store on disk in Ray's temp folder, RAY_TMPDIR (slower than memory)"
    )
    return FLOOR_BYTES, notice


def _free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
