"""Hyperparameter search with Ray Tune: a grid over Adam's beta_1 x beta_2, one trial per CPU.

Each trial runs the same loop as data_parallel.py on one process. The data set is put in Ray's
object store once (tune.with_parameters) and read from shared memory by every trial on a
node, so 16 trials do not hold 16 copies. The tuner's state lives under the checkpoint
folder, one folder per search: running the job again with the same hyperparameters resumes
its unfinished trials; with other ones it starts a new search rather than finish the old grid.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from ray import tune
from ray.tune.schedulers import ASHAScheduler

from training.cluster.session import ray_cluster
from training.cluster.sizing import plan_trials
from training.contract.environment import JobEnvironment
from training.contract.hyperparameters import Hyperparameters
from training.contract.programs import TUNE
from training.errors import JobError
from training.programs import storage
from training.programs.data import load_datasets
from training.programs.loop import Session, run_loop
from training.programs.mnist import Digits
from training.programs.outputs import save_model
from training.programs.results import write_results
from training.tracking.mlflow_run import Run, job_run

RUN_NAME = TUNE.name  # the checkpoint folder a rerun resumes from
METRIC, MODE = "test_loss", "min"
SEARCHED = ("beta_1", "beta_2")
# Hyperparameters that change how a search runs but not what it finds: a re-run may change them and resume.
HOW_NOT_WHAT = frozenset(
    {
        "program",
        "entry_script",
        "log_interval",
        "max_failures",
        "cpus_per_trial",
        "num_workers",
        "cpus_per_worker",
        "backend",
        "storage_path",
        "hosts_timeout",
    }
)


def tune_trial(config: dict[str, Any], data: tuple[Digits, Digits], base: Hyperparameters, threads: int) -> None:
    """One trial: the shared loop with the trial's betas and Ray Tune's session."""
    hp = dataclasses.replace(base, **{name: config[name] for name in SEARCHED})
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    session = Session.single_process(device, get_checkpoint=tune.get_checkpoint, report=_report)
    run_loop(hp, *data, session, threads)


def _report(metrics: dict[str, float], folder: Path | None) -> None:
    tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder) if folder else None)


def run(env: JobEnvironment) -> Path:
    """Run the grid, write results.csv and the heatmap, and the best trial's model; return its path."""
    hp = env.hyperparameters
    data = load_datasets(env)
    plan = plan_trials(env)
    trials = len(hp.beta_1_grid) * len(hp.beta_2_grid)
    print(
        f"tuning {trials} trials (beta_1 {list(hp.beta_1_grid)} x beta_2 {list(hp.beta_2_grid)}) on "
        f"{len(env.hosts)} host(s) with {len(env.hosts) * env.num_cpus} CPU(s), "
        f"{plan.concurrent_trials} at a time with {plan.cpus_per_trial} CPU(s) each",
        flush=True,
    )
    params = {**hp.as_strings(), "hosts": len(env.hosts), **dataclasses.asdict(plan)}
    with job_run(env, params) as tracked:
        with ray_cluster(env):
            trainable = tune.with_resources(
                tune.with_parameters(tune_trial, data=data, base=hp, threads=plan.cpus_per_trial), plan.resources
            )
            grid = _tuner(env, trainable, plan.concurrent_trials, tracked).fit()
        best = _best(grid)
        table, heatmap = write_results(grid, SEARCHED, env.paths.output_data_dir)
        print(f"results: {table}\nheatmap: {heatmap}", flush=True)
        best_config = {name: best.config[name] for name in SEARCHED}
        summary = {
            "program": TUNE.name,
            "metrics": best.metrics_dataframe.iloc[-1][["epoch", "train_loss", METRIC, "test_accuracy"]].to_dict(),
            "best_config": best_config,
            "hyperparameters": dataclasses.replace(hp, **best_config).as_strings(),
        }
        print(f"best trial: {best_config} {METRIC}={best.metrics[METRIC]:.4f}", flush=True)
        path = save_model(best.checkpoint, env.paths.model_dir, summary)
        tracked.mark_best_child(best.metrics["trial_id"], {f"best_{k}": str(v) for k, v in best_config.items()})
        for artifact in (table, heatmap, path):
            tracked.log_artifact(artifact)
    return path


def _tuner(env: JobEnvironment, trainable, concurrent: int, tracked: Run) -> tune.Tuner:
    """A new Tuner, or the one saved under the checkpoint folder when a previous run was cut short.

    Each trial is a child run of the job's MLflow run (a restored search keeps the callback it was saved with).
    With tracking off there is no callback, and MLflow's Ray integration is not imported (seconds at start-up).
    """
    hp = env.hyperparameters
    name = search_name(env)
    path = storage.join(env.storage_path, name)
    if tune.Tuner.can_restore(path):
        print(f"resuming the search saved in {path}", flush=True)
        return tune.Tuner.restore(path, trainable, resume_errored=True)
    if storage.folders(env.storage_path, f"{RUN_NAME}-"):
        print(f"starting a new search: those saved in {env.storage_path} used other hyperparameters", flush=True)
    scheduler = ASHAScheduler(max_t=hp.epochs, grace_period=1) if hp.asha else None
    return tune.Tuner(
        trainable,
        param_space={
            "beta_1": tune.grid_search(list(hp.beta_1_grid)),
            "beta_2": tune.grid_search(list(hp.beta_2_grid)),
        },
        # reuse_actors: a finished trial's process takes the next one, instead of a new process importing torch.
        tune_config=tune.TuneConfig(
            metric=METRIC, mode=MODE, scheduler=scheduler, max_concurrent_trials=concurrent, reuse_actors=True
        ),
        run_config=tune.RunConfig(
            name=name,
            storage_path=env.storage_path,
            failure_config=tune.FailureConfig(max_failures=hp.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            callbacks=_trial_loggers(tracked),
            verbose=1,
        ),
    )


def search_name(env: JobEnvironment) -> str:
    """The folder of this search in the storage path, named by the hyperparameters that define it.

    Tuner.restore brings back the saved grid and epochs whatever the new run asks for, so a search
    is resumed only by a run that asks for the same one.
    """
    defining = {k: v for k, v in env.hyperparameters.as_strings().items() if k not in HOW_NOT_WHAT}
    digest = hashlib.sha256(json.dumps(defining, sort_keys=True).encode()).hexdigest()[:12]
    return f"{RUN_NAME}-{digest}"


def _best(grid: tune.ResultGrid) -> tune.Result:
    """The trial with the lowest final test loss; an error when every trial failed."""
    if grid.num_errors == len(grid):
        first = next(result.error for result in grid if result.error)
        raise JobError(f"all {len(grid)} trials failed; the first error was: {str(first).splitlines()[-1]}")
    return grid.get_best_result(metric=METRIC, mode=MODE, scope="last", filter_nan_and_inf=True)


def _trial_loggers(tracked: Run) -> list:
    """Tune's MLflow callback for the job's run; none when tracking is off."""
    if not tracked.active:
        return []
    from training.tracking.ray_callbacks import TrialLogger  # imports MLflow's Ray integration

    return [TrialLogger(tracked)]
