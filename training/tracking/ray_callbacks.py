"""The job's MLflow run fed by Ray: Train's epochs from its controller, Tune's trials as child runs.

Both callbacks run on the leader only (Ray Train's controller is pinned to the driver's node, Tune's
callbacks run in the driver), so a job has one run however many hosts and workers it has.
"""

from __future__ import annotations

from typing import Any

from ray.air.integrations.mlflow import MLflowLoggerCallback
from ray.train import UserCallback

from training.contract.metric_line import EPOCH_METRICS
from training.tracking.mlflow_run import PARENT_TAG, Run


class EpochLogger(UserCallback):
    """Logs rank 0's metrics of every epoch, as they are reported, with the epoch as MLflow's step."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def after_report(self, run_context, metrics: list[dict[str, Any]], checkpoint) -> None:
        first = metrics[0] if metrics else {}
        if "epoch" in first:
            self.run.log_metrics({key: first[key] for key in EPOCH_METRICS if key in first}, step=int(first["epoch"]))


class TrialLogger(MLflowLoggerCallback):
    """Ray Tune's own MLflow callback, one child run per trial under the search's run, never fatal.

    Ray's callback raises whatever MLflow raises, and an exception in a callback ends the search;
    here the first one is the job's one warning (through the parent Run) and the callback goes quiet.
    """

    def __init__(self, run: Run) -> None:
        super().__init__(tracking_uri=run.uri, experiment_name=run.experiment, tags={PARENT_TAG: run.run_id or ""})
        self.run = run

    def _guarded(self, hook, *args: Any, **kwargs: Any) -> None:
        if not self.run.active:
            return
        try:
            hook(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - tracking must never end the search
            self.run.warn(error)

    def setup(self, *args: Any, **kwargs: Any) -> None:
        self._trial_runs = {}
        self._guarded(super().setup, *args, **kwargs)

    def log_trial_start(self, trial) -> None:
        self._guarded(super().log_trial_start, trial)

    def log_trial_result(self, iteration: int, trial, result: dict) -> None:
        if trial in self._trial_runs:
            self._guarded(super().log_trial_result, iteration, trial, result)

    def log_trial_end(self, trial, failed: bool = False) -> None:
        if trial in self._trial_runs:
            self._guarded(super().log_trial_end, trial, failed)
