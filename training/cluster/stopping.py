"""How a job is stopped: SageMaker's SIGTERM becomes a clean unwind instead of an abort.

Kept apart from cluster.py so that the entry point can install it at once without importing Ray.
"""

from __future__ import annotations

import signal


def stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so that the job unwinds and Ray shuts down cleanly.

    SageMaker stops a job with SIGTERM (SIGKILL 120 s later); in the image tini, as PID 1, passes it
    on to Python, which without a handler would die at once and orphan Ray's processes,
    so the entry point installs one first thing.
    """
    signal.signal(signal.SIGTERM, _stop)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
