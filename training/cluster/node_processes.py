"""Every process one Ray node started on this host, found by a marker in its environment, and stopped.

`ray start` keeps the GCS, the raylet and Ray's agents in its own process group, but not everything: Ray 2.60 starts
each worker in a process group of its own (its process_group_cleanup_enabled flag), a worker the raylet started as
it stopped lives on for seconds without it, and a task may start processes in sessions of their own. All of them
inherit the node's environment, so a marker there finds them, by PID, whatever their group or parent. Not always
the node's own: a title Ray sets (`ray::DashboardAgent`) can overwrite where /proc shows a process's environment, so
the node's process group is signalled too.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field

import psutil

_MARKER = "RAY_ON_SAGEMAKER_NODE"
_KILL_WAIT_S = 5


@dataclass(frozen=True)
class NodeProcesses:
    """The processes of one node: those whose environment holds this object's marker."""

    marker: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def environment(self) -> dict[str, str]:
        """What the node's first process is started with, for every later one to inherit."""
        return {_MARKER: self.marker}

    def alive(self) -> list[psutil.Process]:
        """The node's processes that still run (not those of another user, which this one could not stop anyway)."""
        return marked_processes(_MARKER, self.marker)

    def stop(self, node: subprocess.Popen, grace_s: float) -> None:
        """SIGTERM the node's group and every marked process, SIGKILL what is left after grace_s; reap `node`."""
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, _KILL_WAIT_S)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, sig)
            for process in self.alive():
                with contextlib.suppress(psutil.Error):
                    process.send_signal(sig)
            deadline = time.monotonic() + wait_s
            while (left := self.alive() or _group_alive(node.pid)) and time.monotonic() < deadline:
                node.poll()
                time.sleep(0.1)
            if not left:
                break
        node.poll()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def marked_processes(variable: str, value: str) -> list[psutil.Process]:
    """The running processes whose environment sets variable to value (other users' are not readable)."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(variable) == value:
                found.append(process)
    return found
