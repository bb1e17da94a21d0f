"""A job as the user asked for it: the launcher's flags plus the entry point's own hyperparameters.

Everything is checked here, before a client is built, so a typo fails in a second rather than after an
instance has booted. Hyperparameters are validated by training's own parser, the one the job runs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from infra.instance_types import INSTANCE_TYPE
from launcher.errors import LauncherError
from launcher.sagemaker_jobs.service_model import limit
from training.contract.hyperparameters import SCRIPT_OWN, Hyperparameters, canonical_name, parse_pairs
from training.contract.programs import PROGRAMS, SCRIPT, TRAIN
from training.errors import JobError

EXECUTORS = ("sagemaker", "local", "local-image")
DEFAULT_INSTANCE_TYPE = "ml.m5.4xlarge"
DEFAULT_MAX_RUNTIME = 3600
# The service model's limit (0..21600 in botocore 1.44.8; the warm-pools guide still says 3600).
MAX_KEEP_ALIVE = limit("ResourceConfig.KeepAlivePeriodInSeconds", "max")
# "The maximum value is 28 days" (StoppingCondition, SageMaker API reference); the model gives only min 1.
MAX_RUNTIME = 28 * 24 * 3600
# A job's name is `<base>-<UTC time to the millisecond>` (sagemaker_jobs/trainer.py), within TrainingJobName's maximum.
STAMP_DIGITS = len("YYYYmmddHHMMSSfff")
MAX_BASE_NAME = limit("TrainingJobName", "max") - 1 - STAMP_DIGITS
_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """One job's settings; the defaults run the reference job on one spot ml.m5.4xlarge."""

    program: str = TRAIN.name
    hyperparameters: dict[str, str] = dataclasses.field(default_factory=dict)
    instance_type: str = DEFAULT_INSTANCE_TYPE
    instance_count: int = 1
    spot: bool = True
    max_runtime: int = DEFAULT_MAX_RUNTIME
    max_wait: int | None = None
    job_name: str | None = None
    keep_alive: int = 0
    executor: str = "sagemaker"
    # SSM sessions into the job's containers (make dashboard); sagemaker_jobs/dashboard.py says why it is on by default.
    remote_debug: bool = True
    # Channels beside the data bucket's training and testing: name -> S3 prefix (make run's `code`).
    channels: dict[str, str] = dataclasses.field(default_factory=dict)
    # --mlflow: a tracking URI, an MLflow ARN or none; None: the stack's MLflow (SageMaker) or a local store.
    mlflow: str | None = None

    def __post_init__(self) -> None:
        _check(self.program in PROGRAMS, f"program must be one of {', '.join(PROGRAMS)}, got '{self.program}'")
        _check(
            self.program != SCRIPT.name or ("code" in self.channels and self.hyperparameters.get("entry-script")),
            "program=script needs a code channel and an entry-script: run it with make run SCRIPT=path/to/job.py",
        )
        _check(
            self.hyperparameters.get("program", self.program) == self.program,
            f"the hyperparameters are for {self.hyperparameters.get('program')}, the job runs {self.program}",
        )
        _check(self.executor in EXECUTORS, f"--executor must be one of {', '.join(EXECUTORS)}, got '{self.executor}'")
        _check(
            bool(re.fullmatch(INSTANCE_TYPE, self.instance_type)),
            f"--instance-type must look like ml.m5.xlarge, got '{self.instance_type}'",
        )
        _check(self.instance_count >= 1, f"--instance-count must be at least 1, got {self.instance_count}")
        _check(
            1 <= self.max_runtime <= MAX_RUNTIME,
            f"--max-runtime must be 1 to {MAX_RUNTIME} seconds (28 days), got {self.max_runtime}",
        )
        _check(
            self.spot or self.max_wait is None,
            "--max-wait applies to spot jobs only (SageMaker ignores it on demand): drop it or remove --no-spot",
        )
        _check(
            self.wait_limit >= self.max_runtime,
            f"--max-wait ({self.wait_limit} s) must be at least --max-runtime ({self.max_runtime} s)",
        )
        _check(
            0 <= self.keep_alive <= MAX_KEEP_ALIVE,
            f"--keep-alive must be 0 to {MAX_KEEP_ALIVE} seconds, got {self.keep_alive}",
        )
        _check(
            not (self.keep_alive and self.spot),
            "--keep-alive needs on-demand instances (SageMaker keeps no warm pool for spot jobs): add --no-spot",
        )
        if self.job_name is not None:
            _check(
                bool(_NAME.fullmatch(self.job_name)) and len(self.job_name) <= MAX_BASE_NAME,
                f"--job-name must be letters, digits and dashes, at most {MAX_BASE_NAME} long, got '{self.job_name}'",
            )

    @property
    def wait_limit(self) -> int:
        """MaxWaitTimeInSeconds for spot: time waiting for capacity plus running; twice the runtime unless set."""
        return self.max_wait if self.max_wait is not None else 2 * self.max_runtime


def hyperparameters(program: str, args: Sequence[str]) -> dict[str, str]:
    """`--name value` / `--name=value` pairs as the job's hyperparameters, validated by training's parser."""
    given = {canonical_name(name).replace("_", "-"): value for name, value in _pairs(args, program).items()}
    if given.get("program", program) != program:
        raise LauncherError(
            f"--program {given['program']} contradicts the verb: run python -m launcher {given['program']}"
        )
    given["program"] = program
    try:
        Hyperparameters.from_strings(given)
    except JobError as error:
        raise LauncherError(f"{error}: see python -m launcher {program} --help") from None
    return given


def script_hyperparameters(entry_script: str, args: Sequence[str]) -> dict[str, str]:
    """The script's own `--name value` pairs, names as written (they are its argparse flags), plus ours."""
    given = _pairs(args, "run")
    for name in given:
        if canonical_name(name) in SCRIPT_OWN:
            raise LauncherError(f"--{name} is make run's own hyperparameter (from SCRIPT): rename your script's flag")
    return {**given, "program": SCRIPT.name, "entry-script": entry_script}


def _pairs(args: Sequence[str], verb: str) -> dict[str, str]:
    """`--name value` pairs read by training's own parser; what it refuses is one sentence naming the verb's help."""
    try:
        return parse_pairs(args)
    except JobError as error:
        raise LauncherError(f"{error}; see python -m launcher {verb} --help") from None


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise LauncherError(message)
