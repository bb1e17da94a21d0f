"""Starting Ray for a job: the one place that knows how hosts become a Ray cluster."""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import ray

from training.contract import JobEnvironment
from training.errors import JobError
from training.object_store import object_store_bytes
from training.stopping import stop_on_sigterm


# Ray settings for a job's logs; its processes inherit them from the driver's environment.
_QUIET_RAY = {
    # Ray Train would also log every print() of a worker, which shows each metric line twice,
    # and log each report() at INFO in every worker.
    "RAY_TRAIN_ENABLE_PRINT_PATCH": "0",
    "RAY_TRAIN_ENABLE_WORKER_STRUCTURED_LOGGING": "0",
    # Tune warns each time frequent per-epoch checkpoints make it save its state; that is intended here.
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    # The preemption watcher polls for nodes that a Ray autoscaler drains; the clusters started here
    # have none (SageMaker announces a stop with SIGTERM, see training/stopping.py). Its actor also
    # logs a core_worker error line in every run.
    "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
}


@contextlib.contextmanager
def ray_cluster(env: JobEnvironment) -> Iterator[None]:
    """Start (and afterwards stop) the job's Ray cluster; reuse one this process already joined.

    One host: a fresh local Ray with exactly the job's CPUs and GPUs. Several hosts: the hook
    where the leader starts a head and the others join it (to be built; refused for now).
    """
    if ray.is_initialized():
        yield
        return
    os.environ.update(_QUIET_RAY)
    if len(env.hosts) > 1:
        raise JobError(f"this image does not yet run jobs with several hosts ({len(env.hosts)} given); use one instance")
    ray.init(
        address="local",
        num_cpus=env.num_cpus,
        num_gpus=env.num_gpus,
        object_store_memory=object_store_bytes(),
        logging_level=logging.WARNING,
    )
    # Again after ray.init, which installs a SIGTERM handler that aborts the process and orphans Ray.
    stop_on_sigterm()
    try:
        yield
    finally:
        ray.shutdown()
