"""Experiment tracking in MLflow: one run per job, logged from the leader only, never fatal.

Where to log comes from MLflow's own environment variables, as for any MLflow program:
`MLFLOW_TRACKING_URI` (an http(s) server, a `sqlite:///` file, or a SageMaker MLflow ARN, which the
`sagemaker-mlflow` plugin signs with the job's role) and `MLFLOW_EXPERIMENT_NAME` (default: the
program). The run is named after the job (`TRAINING_JOB_NAME`, which SageMaker sets), else the program.
Unset, empty or `none` turns tracking off.

A tracking server that cannot be reached or refuses a call never fails the job: the first failure
prints one warning line and every later call is skipped. MLflow's HTTP retries and timeout are bounded
(`MLFLOW_HTTP_REQUEST_MAX_RETRIES`, `MLFLOW_HTTP_REQUEST_TIMEOUT`, unless the job sets them), so a
dead server costs seconds, not the 2 minutes x 7 retries of MLflow's defaults. Credentials in a URI
(`https://user:password@host`) never reach a log line or a parameter.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from training.contract.environment import JobEnvironment

TRACKING_URI = "MLFLOW_TRACKING_URI"
EXPERIMENT_NAME = "MLFLOW_EXPERIMENT_NAME"
RUN_ID = "MLFLOW_RUN_ID"
OFF = ("", "none")
# Bounded retries: a dead server costs a few seconds per call before tracking is turned off.
HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
# The tags MLflow itself uses for nesting and a run's notes (mlflow.utils.mlflow_tags).
PARENT_TAG = "mlflow.parentRunId"
BEST_TAG = "best_trial"
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_LOCAL_ARTIFACTS = "artifacts"
_HEADER_REGISTRY = "mlflow.tracking.request_header.registry"  # the logger of MLflow's request header plugins


def redact(text: str) -> str:
    """text with any `user:password@` of a URI removed."""
    return _CREDENTIALS.sub("", text)


@dataclasses.dataclass(frozen=True)
class Target:
    """Where the job's run goes: tracking URI, experiment and run name."""

    uri: str
    experiment: str
    run_name: str

    @classmethod
    def of(cls, env: JobEnvironment) -> Target | None:
        """From the job's MLFLOW_* variables; None when tracking is off."""
        uri = env.mlflow_variables.get(TRACKING_URI, "").strip()
        if uri.lower() in OFF:
            return None
        program = env.hyperparameters.program
        run_name = env.job_identity.rsplit("/", 1)[-1] or program  # an ARN ends with training-job/<name>
        return cls(uri=uri, experiment=env.mlflow_variables.get(EXPERIMENT_NAME) or program, run_name=run_name)


@dataclasses.dataclass
class Run:
    """The job's MLflow run as seen by one process; picklable, so Ray's controller can log to it too.

    run_id is None when tracking is off or could not start. `warned_file` lies on the leader and is
    shared by every process there that logs (the driver, Ray Train's controller), so a server that goes
    away gives one warning per job, not one per process.
    """

    uri: str = ""
    experiment: str = ""
    run_id: str | None = None
    warned_file: str = ""

    @property
    def active(self) -> bool:
        return self.run_id is not None and not (self.warned_file and Path(self.warned_file).exists())

    def call(self, action: Callable[[Any], Any]) -> Any:
        """action(client) unless tracking is off; its first failure is one warning and turns tracking off."""
        if not self.active:
            return None
        try:
            return action(_client(self.uri))
        except Exception as error:  # noqa: BLE001 - tracking must never end the job
            self.warn(error)
            return None

    def warn(self, error: BaseException) -> None:
        """The one warning line of this job; later failures stay silent."""
        if self.warned_file and Path(self.warned_file).exists():
            return
        if self.warned_file:
            Path(self.warned_file).touch()
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        print(
            f"warning: MLflow tracking at {redact(self.uri)} failed ({redact(reason)}); the job goes on without it",
            flush=True,
        )
        self.run_id = None

    def log_params(self, params: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        entries = [Param(key, str(value)[:6000]) for key, value in params.items()]
        self.call(lambda client: client.log_batch(self.run_id, params=entries))

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        entries = [Metric(key, float(value), now, step) for key, value in metrics.items()]
        self.call(lambda client: client.log_batch(self.run_id, metrics=entries))

    def set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        entries = [RunTag(key, str(value)) for key, value in tags.items()]
        self.call(lambda client: client.log_batch(self.run_id, tags=entries))

    def log_artifact(self, path: Path) -> None:
        self.call(lambda client: client.log_artifact(self.run_id, str(path)))

    def mark_best_child(self, trial_id: str, tags: Mapping[str, str]) -> None:
        """Tag the child run of the best trial (Ray Tune's trial id ends its run name) and note it on this run."""

        def mark(client) -> None:
            children = client.search_runs(
                [client.get_run(self.run_id).info.experiment_id],
                filter_string=f"tags.`{PARENT_TAG}` = '{self.run_id}'",
            )
            best = next(child for child in children if child.info.run_name.endswith(trial_id))
            client.set_tag(best.info.run_id, BEST_TAG, "true")
            self.set_tags({**tags, BEST_TAG: best.info.run_name})

        self.call(mark)

    def end(self, status: str) -> None:
        self.call(lambda client: client.set_terminated(self.run_id, status))


def _client(uri: str):
    """MLflow's client for a URI, built once per process (the ARN plugin's credentials are cached there).

    sagemaker-mlflow 0.5.0's request header provider reads the process-wide tracking URI, not the client's,
    and on any URI that is not an ARN logs a warning for every request ("list index out of range"): so the
    process-wide URI is this one, and for other URIs that provider's failures are not logged.
    """
    cached = _CLIENTS.get(uri)
    if cached is None:
        import mlflow
        from mlflow.tracking import MlflowClient

        mlflow.set_tracking_uri(uri)
        if not uri.startswith("arn:"):
            logging.getLogger(_HEADER_REGISTRY).setLevel(logging.ERROR)
        cached = _CLIENTS[uri] = MlflowClient(tracking_uri=uri)
    return cached


_CLIENTS: dict[str, Any] = {}
# The run job_run has open in this process, for a user's program started inside it (script_variables).
_CURRENT: dict[str, Run] = {}


def experiment_id(client, target: Target) -> str:
    """The experiment's id, created when new (a sqlite store keeps its artifacts beside its file)."""
    found = client.get_experiment_by_name(target.experiment)
    if found is not None:
        return found.experiment_id
    location = None
    if target.uri.startswith("sqlite:///"):
        location = (Path(target.uri.removeprefix("sqlite:///")).parent / _LOCAL_ARTIFACTS).resolve().as_uri()
    return client.create_experiment(target.experiment, artifact_location=location)


@contextlib.contextmanager
def job_run(env: JobEnvironment, params: Mapping[str, Any] | None = None) -> Iterator[Run]:
    """The job's run from start to end: FINISHED when the block ends normally, FAILED (or KILLED) otherwise.

    An unusable tracking URI gives an inactive Run (one warning), and the block runs all the same.
    """
    target = Target.of(env)
    with tempfile.TemporaryDirectory(prefix="tracking-") as folder:
        run = Run(warned_file=str(Path(folder) / "warned"))
        if target is not None:
            for name, value in HTTP_LIMITS.items():
                os.environ.setdefault(name, value)  # MLflow reads them per request, in every process here
            run.uri, run.experiment = target.uri, target.experiment
            run.run_id = _start(run, target, env)
            if params:
                run.log_params(params)
        _CURRENT["run"] = run
        try:
            yield run
        except KeyboardInterrupt:
            run.end("KILLED")
            raise
        except BaseException:
            run.end("FAILED")
            raise
        finally:
            _CURRENT.pop("run", None)
        run.end("FINISHED")


def _start(run: Run, target: Target, env: JobEnvironment) -> str | None:
    """Create the run (and its experiment); None, after the one warning, when the server will not."""
    tags = {"sagemaker.job": env.job_identity, "image": env.image, "program": env.hyperparameters.program}
    tags = {key: value for key, value in tags.items() if value}
    given = env.mlflow_variables.get(RUN_ID)  # a run made for the job (SageMaker's MlflowDetails): continue it
    try:
        if target.uri.startswith("sqlite:///"):
            Path(target.uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        client = _client(target.uri)
        if given:
            run.run_id = given
            run.set_tags(tags)
            return given
        created = client.create_run(experiment_id(client, target), run_name=target.run_name, tags=tags)
    except Exception as error:  # noqa: BLE001 - tracking must never end the job
        run.warn(error)
        return None
    print(f"MLflow run {created.info.run_id} ({target.run_name}) in experiment {target.experiment}", flush=True)
    return created.info.run_id


def script_variables(env: JobEnvironment) -> dict[str, str]:
    """What a user's program needs so that `mlflow.start_run()` continues the job's run (none when off).

    The program inherits MLflow's variables as the job got them; an off switch (`none`) is not passed on.
    """
    target, run = Target.of(env), _CURRENT.get("run")
    if target is None or run is None or not run.active:
        return {TRACKING_URI: ""} if TRACKING_URI in env.mlflow_variables else {}
    return {TRACKING_URI: target.uri, EXPERIMENT_NAME: target.experiment, RUN_ID: run.run_id}
