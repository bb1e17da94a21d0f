"""A job's process tree read from /proc: the job and every process Ray started beneath it.

Ray's head processes (GCS, raylet, dashboard) are children of the job's driver and its
workers are children of the raylet, so the tree holds exactly what the job costs the machine.
"""
from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), from state on."""
    return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def descendants(root: int) -> list[int]:
    """root and every process below it now."""
    children: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            parent = int(_stat_fields(int(stat.parent.name))[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


def cpu_seconds(root: int) -> dict[int, tuple[str, float]]:
    """Each process of the tree: its title (Ray names its workers `ray::<Actor>`) and CPU seconds so far."""
    used = {}
    for pid in descendants(root):
        try:
            fields = _stat_fields(pid)
            title = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        used[pid] = (title, (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND)
    return used
