"""Data-parallel training with Ray Train's TorchTrainer (DDP: gloo on CPU, NCCL on GPU).

Run through the entry point (`python -m training.entrypoint`, hyperparameter program=train), or
as `python -m training.train` / `python training/train.py` (the same contract, program fixed to train).
Checkpoints go under the SageMaker checkpoint folder with a fixed run name, so running the
job again with the same folder (a restarted spot job, a second local run) resumes there.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import ray
import ray.train
import ray.train.torch
from ray.train.torch import TorchConfig, TorchTrainer

from training.cluster.hosts import raise_if_hosts_lost
from training.cluster.session import ray_cluster
from training.cluster.sizing import WorkerPlan, plan_workers
from training.contract.environment import JobEnvironment
from training.contract.programs import TRAIN
from training.errors import JobError
from training.programs import storage
from training.programs.data import load_datasets
from training.programs.loop import CHECKPOINT_FILE, Session, run_loop
from training.programs.outputs import SUMMARY_FILE, save_model
from training.tracking.mlflow_run import Run, job_run

RUN_NAME = TRAIN.name  # the checkpoint folder a rerun resumes from


class _NoJobErrorTracebacks(logging.Filter):
    """Drops Ray Train's "Error in training function" traceback when the error is a JobError.

    A JobError is the user's bad input (an unreadable checkpoint, a diverging loss); the entry
    point already reports it as one sentence, and the worker's traceback would bury that sentence.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{JobError.__module__}.{JobError.__name__}: " not in record.getMessage()


# The logger of the Ray Train module that logs a worker's exception (ray/train/v2/_internal/util.py).
_QUIETED = logging.getLogger("ray.train.v2._internal.util")
_QUIET_FILTER = _NoJobErrorTracebacks()


def train_worker(config: dict[str, Any]) -> dict[str, float]:
    """Ray Train's train_loop_per_worker: the shared loop with Ray Train's session."""
    _QUIETED.addFilter(_QUIET_FILTER)  # once per process: a logger keeps one copy of a filter
    train, test = ray.get(config["data"])
    context = ray.train.get_context()
    session = Session(
        rank=context.get_world_rank(),
        world_size=context.get_world_size(),
        device=ray.train.torch.get_device(),
        prepare_model=ray.train.torch.prepare_model,
        prepare_loader=lambda loader: ray.train.torch.prepare_data_loader(loader, add_dist_sampler=False),
        get_checkpoint=lambda: ray.train.get_checkpoint() or newest_saved_checkpoint(config["run_folder"]),
        report=_report,
    )
    return run_loop(config["hyperparameters"], train, test, session, config["threads"])


def newest_saved_checkpoint(run_folder: str) -> ray.train.Checkpoint | None:
    """The newest complete checkpoint in storage, for when Ray's own record of the run has none.

    Ray Train records checkpoints in a snapshot its controller writes when it processes a report;
    a job stopped (SIGTERM, spot reclaim) between the write of a checkpoint and that record would
    otherwise start over although the folder SageMaker restored holds the checkpoint.
    """
    saved = [
        name
        for name in storage.folders(run_folder, "checkpoint_")  # names sort by time
        if storage.exists(storage.join(run_folder, name, CHECKPOINT_FILE))
    ]
    return ray.train.Checkpoint(storage.join(run_folder, saved[-1])) if saved else None


def _report(metrics: dict[str, float], folder: Path | None) -> None:
    checkpoint = ray.train.Checkpoint.from_directory(folder) if folder else None
    ray.train.report(metrics, checkpoint=checkpoint)


def run(env: JobEnvironment) -> Path:
    """Train with every CPU (or GPU) of the job and write model.pth; return its path."""
    hp = env.hyperparameters
    train, test = load_datasets(env)
    plan = plan_workers(env)
    print(
        f"training on {len(train)} images ({len(test)} for testing) on {len(env.hosts)} host(s) with "
        f"{len(env.hosts) * env.num_cpus} CPU(s): {plan.num_workers} worker(s) x {plan.cpus_per_worker} CPU(s)"
        f"{' + 1 GPU' if plan.use_gpu else ''}, backend {plan.backend}"
        + (f"; {plan.idle_cpus} CPU(s) left idle by num-workers {plan.num_workers}" if plan.idle_cpus else ""),
        flush=True,
    )
    params = {**hp.as_strings(), "hosts": len(env.hosts), **dataclasses.asdict(plan)}
    with job_run(env, params) as tracked:
        result = _fit(env, train, test, plan, tracked)
        summary = {
            "program": TRAIN.name,
            "metrics": result.return_value,
            "hyperparameters": hp.as_strings(),
            "workers": dataclasses.asdict(plan),
        }
        path = save_model(result.checkpoint, env.paths.model_dir, summary)
        for artifact in (path, path.with_name(SUMMARY_FILE)):
            tracked.log_artifact(artifact)
    return path


def _fit(env: JobEnvironment, train, test, plan: WorkerPlan, tracked: Run) -> ray.train.Result:
    """Ray Train's run on the job's cluster, every epoch logged to the job's MLflow run when tracking is on."""
    hp = env.hyperparameters
    with ray_cluster(env):
        trainer = TorchTrainer(
            train_worker,
            train_loop_config={
                "hyperparameters": hp,
                "data": ray.put((train, test)),
                "threads": plan.cpus_per_worker,
                "run_folder": storage.join(env.storage_path, RUN_NAME),
            },
            torch_config=TorchConfig(backend=plan.backend),
            scaling_config=ray.train.ScalingConfig(
                num_workers=plan.num_workers, use_gpu=plan.use_gpu, resources_per_worker=plan.resources_per_worker
            ),
            run_config=ray.train.RunConfig(
                name=RUN_NAME,
                storage_path=env.storage_path,
                # controller_failure_limit also bounds the retries of a worker group that cannot start,
                # as after a host is lost when the plan needs it: Ray's default (-1) retries for ever.
                failure_config=ray.train.FailureConfig(
                    max_failures=hp.max_failures, controller_failure_limit=hp.max_failures
                ),
                checkpoint_config=ray.train.CheckpointConfig(num_to_keep=2),
                logging_config=ray.train.LoggingConfig(log_level="WARNING"),
                callbacks=_epoch_loggers(tracked),
            ),
        )
        try:
            return trainer.fit()
        except ray.train.TrainingFailedError as error:
            raise_if_hosts_lost(env, error)
            raise


def _epoch_loggers(tracked: Run) -> list:
    """The callback that logs each epoch to the job's MLflow run; none when tracking is off.

    Its module imports MLflow's Ray integration: seconds of CPU in the driver, and again in Ray Train's
    controller, which unpickles the callbacks, while the job starts.
    """
    if not tracked.active:
        return []
    from training.tracking.ray_callbacks import EpochLogger

    return [EpochLogger(tracked)]
