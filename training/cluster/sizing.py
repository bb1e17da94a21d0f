"""How many Ray workers or trials a job runs, and with what, so that every CPU (or GPU) works.

Train: by default one worker per GPU, or on CPU one worker per host holding all its CPUs
(one process with N threads beats N single-thread processes that all-reduce every step for
a model this small); workers x cpus-per-worker never exceeds the job's CPUs.
Tune: as many concurrent trials as the CPUs allow at cpus-per-trial each.
"""

from __future__ import annotations

import dataclasses

from training.cluster.object_store import object_store_bytes
from training.contract.environment import JobEnvironment
from training.errors import JobError


@dataclasses.dataclass(frozen=True)
class WorkerPlan:
    """The shape of a Ray Train run: passed to ScalingConfig and to each worker's thread count."""

    num_workers: int
    cpus_per_worker: int
    use_gpu: bool
    backend: str
    idle_cpus: int  # CPUs no worker holds: a given num-workers that does not divide the job's CPUs

    @property
    def resources_per_worker(self) -> dict[str, float]:
        return {"CPU": self.cpus_per_worker, **({"GPU": 1} if self.use_gpu else {})}


@dataclasses.dataclass(frozen=True)
class TrialPlan:
    """The shape of a Ray Tune run: resources of one trial and how many run at once."""

    cpus_per_trial: int
    gpus_per_trial: float
    concurrent_trials: int

    @property
    def resources(self) -> dict[str, float]:
        return {"cpu": self.cpus_per_trial, "gpu": self.gpus_per_trial}


def node_resources(env: JobEnvironment) -> dict[str, int]:
    """What this host gives Ray: ray.init's keywords on one host, `ray start --num-cpus ...` on several.

    The object store is sized here too: ray.init may not size it when it joins a cluster `ray start` began.
    """
    return {"num_cpus": env.num_cpus, "num_gpus": env.num_gpus, "object_store_memory": object_store_bytes()}


def use_gpu(env: JobEnvironment) -> bool:
    """The use-gpu hyperparameter, or whether the host has a GPU when it says auto."""
    wanted = env.hyperparameters.use_gpu
    if wanted and env.num_gpus == 0:
        raise JobError("use-gpu is true but this host has no GPU")
    return env.num_gpus > 0 if wanted is None else wanted


def plan_workers(env: JobEnvironment) -> WorkerPlan:
    """Size ScalingConfig from the hosts, honouring num-workers and cpus-per-worker when given."""
    hp = env.hyperparameters
    gpu = use_gpu(env)
    hosts, total_cpus = len(env.hosts), len(env.hosts) * env.num_cpus
    if gpu:
        workers = hp.num_workers or hosts * env.num_gpus
        cpus = hp.cpus_per_worker or max(1, total_cpus // workers)
    elif hp.cpus_per_worker:
        cpus = hp.cpus_per_worker
        workers = hp.num_workers or max(1, total_cpus // cpus)
    else:
        workers = hp.num_workers or hosts
        cpus = max(1, total_cpus // workers)
    if gpu and workers > hosts * env.num_gpus:
        # Each worker holds one GPU; Ray would wait for ever for the ones that do not exist.
        raise JobError(f"num-workers is {workers} but the job has {hosts * env.num_gpus} GPU(s), one per worker")
    if workers * cpus > total_cpus:
        raise JobError(
            f"num-workers x cpus-per-worker = {workers} x {cpus} = {workers * cpus} CPUs, but the job has {total_cpus}"
        )
    backend = hp.backend if hp.backend != "auto" else ("nccl" if gpu else "gloo")
    if backend == "nccl" and not gpu:
        raise JobError("backend nccl needs GPUs; use gloo (or auto) on CPU")
    return WorkerPlan(
        num_workers=workers, cpus_per_worker=cpus, use_gpu=gpu, backend=backend, idle_cpus=total_cpus - workers * cpus
    )


def plan_trials(env: JobEnvironment) -> TrialPlan:
    """One trial per cpus-per-trial CPUs; GPUs, if used, are shared evenly among concurrent trials."""
    hp = env.hyperparameters
    total_cpus = len(env.hosts) * env.num_cpus
    if hp.cpus_per_trial > env.num_cpus:
        raise JobError(f"cpus-per-trial is {hp.cpus_per_trial} but a host has only {env.num_cpus} CPUs")
    concurrent = total_cpus // hp.cpus_per_trial
    gpus = min(1.0, len(env.hosts) * env.num_gpus / concurrent) if use_gpu(env) else 0.0
    return TrialPlan(cpus_per_trial=hp.cpus_per_trial, gpus_per_trial=gpus, concurrent_trials=concurrent)
