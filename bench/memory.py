"""Peak memory of a process tree, counted as PSS so that memory shared by many processes counts once.

Ray's object store and the dataset all trials read from it are shared memory: RSS would count
them once per process and hide exactly the saving the benchmark is meant to show.
"""

from __future__ import annotations

import threading

from bench.processes import PROC, tree_stats


def tree_pss_bytes(root: int) -> int:
    """Sum of PSS over root and all its descendants now."""
    total = 0
    for pid in tree_stats(root):
        try:
            rollup = (PROC / str(pid) / "smaps_rollup").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:"))
    return total


class PeakMemory:
    """Samples a process tree's PSS in the background until stopped; keeps the peak (0: no sampling)."""

    def __init__(self, root: int, interval_s: float) -> None:
        self.root, self.interval_s, self.peak = root, interval_s, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        if self.interval_s > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self.interval_s):
            self.peak = max(self.peak, tree_pss_bytes(self.root))
