"""`python -m training.ray_job train|tune [--name value ...]`: train or tune as the driver of a Ray job.

Ray Jobs (`make ray-submit`) starts a job's driver on an existing cluster with RAY_ADDRESS naming it.
Joining that cluster first makes the entry point use it (training/cluster/session.py reuses a Ray this process
already joined) instead of starting a Ray of its own. The contract is the image's: the job's env vars
say where data and outputs are (SM_BASE_DIR, SM_CHANNEL_TRAINING, ...) and how much to use (SM_NUM_CPUS).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import ray

from training.contract.programs import RAY_JOB_PROGRAMS
from training.entrypoint import run_as


def main(argv: Sequence[str]) -> int:
    """Join the job's cluster, then run the program through the entry point; return its exit status."""
    if not argv or argv[0] not in RAY_JOB_PROGRAMS:
        print(f"usage: python -m training.ray_job {{{','.join(RAY_JOB_PROGRAMS)}}} [--name value ...]", file=sys.stderr)
        return 2
    ray.init(logging_level=logging.WARNING)
    return run_as(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
