"""The Ray a program runs in: started on one host, the leader's cluster joined on several, or a Ray already there.

The hosts themselves meet and part in hosts.py; this module sizes and starts Ray on top of that and
writes Ray's record (ray_record.py) when the program ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import ray

from training.cluster.hosts import head_node, join_cluster, release_workers, wait_for_hosts
from training.cluster.ray_last_lines import keep_last_lines
from training.cluster.ray_record import write_record
from training.cluster.sizing import node_resources
from training.cluster.stopping import stop_on_sigterm
from training.contract.environment import JobEnvironment

# Ray settings for a job's logs; its processes inherit them from the driver's environment.
_QUIET_RAY = {
    # Ray Train would also log every print() of a worker, which shows each metric line twice,
    # and log each report() at INFO in every worker.
    "RAY_TRAIN_ENABLE_PRINT_PATCH": "0",
    "RAY_TRAIN_ENABLE_WORKER_STRUCTURED_LOGGING": "0",
    # Tune warns each time frequent per-epoch checkpoints make it save its state; that is intended here.
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    # The preemption watcher polls for nodes that a Ray autoscaler drains; the clusters started here
    # have none (SageMaker announces a stop with SIGTERM, see training/cluster/stopping.py). Its actor also
    # logs a core_worker error line in every run.
    "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
}


@contextlib.contextmanager
def ray_cluster(env: JobEnvironment) -> Iterator[None]:
    """Start (and afterwards stop) the job's Ray cluster; reuse one this process already joined.

    One host: a fresh local Ray with exactly the job's CPUs and GPUs. Several hosts, on the leader:
    a Ray head with this host's CPUs and GPUs that every host has joined before the block starts,
    and that releases them when it ends. On any other host: this host lent to the leader's cluster
    until the leader's program ends, then the block, which has nothing left to do there (the entry
    point lends the hosts of train and tune itself; program=script checks env.is_leader).
    """
    if ray.is_initialized():
        yield
        return
    if not env.is_leader:
        lend_host(env)
        yield
        return
    os.environ.update(_QUIET_RAY)
    several = len(env.hosts) > 1
    with contextlib.ExitStack() as stack:
        address = stack.enter_context(head_node(env)) if several else "local"
        ray.init(
            address=address,
            **({} if several else node_resources(env)),  # on several hosts `ray start` was given them
            logging_level=logging.WARNING,
        )
        # Again after ray.init, which installs a SIGTERM handler that aborts the process and orphans Ray.
        stop_on_sigterm()
        stack.callback(ray.shutdown)
        if several:
            stack.callback(release_workers, env)  # also those that joined when others never came
        last_lines = stack.enter_context(keep_last_lines())  # from the start: a host lost later leaves only these
        stack.callback(write_record, env.paths.output_data_dir, env.hosts, last_lines)  # first, while every host is in
        if several:
            wait_for_hosts(env)
        yield


def lend_host(env: JobEnvironment) -> None:
    """On every host but the leader: be part of the leader's Ray cluster until its program ends."""
    os.environ.update(_QUIET_RAY)
    join_cluster(env)
