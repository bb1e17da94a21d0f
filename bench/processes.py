"""A job's process tree read from /proc: the job and every process Ray started beneath it.

Ray's head processes (GCS, raylet, dashboard) are children of the job's driver and its
workers are children of the raylet, so the tree holds exactly what the job costs the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def tree_stats(root: int) -> dict[int, list[str]]:
    """root and every process below it now, each with its /proc/<pid>/stat fields from state on."""
    stats: dict[int, list[str]] = {}
    for path in PROC.glob("[0-9]*/stat"):
        try:
            stats[int(path.parent.name)] = path.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    tree, pending = {}, [root]
    while pending:
        pid = pending.pop()
        if pid in stats:
            tree[pid] = stats[pid]
        pending += children.get(pid, [])
    return tree


def cpu_seconds(root: int) -> dict[int, tuple[str, float]]:
    """Each process of the tree: its title (Ray names its workers `ray::<Actor>`) and CPU seconds so far."""
    used = {}
    for pid, fields in tree_stats(root).items():
        try:
            title = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        used[pid] = (title, (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND)
    return used
