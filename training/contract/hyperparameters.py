"""Typed, validated hyperparameters built from the string values SageMaker delivers.

Every value arrives as a string (hyperparameters.json, SM_HPS, `--key value`). Names are
matched with `-` and `_` treated alike (`learning-rate` == `learning_rate`). A bad name or
value raises JobError with one sentence that names it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from training.contract.programs import PROGRAMS, SCRIPT, TRAIN
from training.errors import JobError

# Keys the platform or its SDKs add on their own; they are not ours to validate.
_PLATFORM_PREFIXES = ("sagemaker_", "_")
# With program=script only these names are ours; every other one belongs to the script (training/script/environment.py).
SCRIPT_OWN = frozenset({"program", "entry_script"})
# How a job's hosts form its Ray cluster: read for every program; a script sees them too (its storage path).
CLUSTER_SETTINGS = frozenset({"storage_path", "hosts_timeout"})
# What a SageMaker SDK framework estimator names: the script and its code (training/script/source.py);
# sagemaker_training.params.USER_PROGRAM_PARAM and SUBMIT_DIR_PARAM.
ESTIMATOR_PROGRAM = "sagemaker_program"
ESTIMATOR_CODE = "sagemaker_submit_directory"


def canonical_name(key: str) -> str:
    """The one spelling of a hyperparameter name: `Learning-Rate` and `learning_rate` are the same."""
    return key.strip().replace("-", "_").lower()


def _int(minimum: int) -> Callable[[str, str], int]:
    def parse(name: str, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise JobError(f"hyperparameter '{name}' must be a whole number, got '{text}'") from None
        if value < minimum:
            raise JobError(f"hyperparameter '{name}' must be at least {minimum}, got {value}")
        return value

    return parse


def _float(low: float, high: float | None = None, low_open: bool = False) -> Callable[[str, str], float]:
    """A finite float in [low, high) (or (low, high) when low_open); high None means no upper bound."""

    def parse(name: str, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise JobError(f"hyperparameter '{name}' must be a number, got '{text}'") from None
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value >= high) or not math.isfinite(value):
            left = "(" if low_open else "["
            right = f"{high})" if high is not None else "inf)"
            raise JobError(f"hyperparameter '{name}' must be in {left}{low}, {right}, got {text}")
        return value

    return parse


def _float_list(element: Callable[[str, str], float]) -> Callable[[str, str], tuple[float, ...]]:
    def parse(name: str, text: str) -> tuple[float, ...]:
        items = [item.strip() for item in text.strip("[]").split(",") if item.strip()]
        if not items:
            raise JobError(f"hyperparameter '{name}' must be a comma-separated list of numbers, got '{text}'")
        return tuple(element(name, item) for item in items)

    return parse


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise JobError(f"hyperparameter '{name}' must be one of {', '.join(options)}, got '{text}'")
        return value

    return parse


def _text(name: str, text: str) -> str:
    return text.strip()


def _tristate(name: str, text: str) -> bool | None:
    """true/false, or auto (None): decided from the host at run time."""
    value = _choice("auto", "true", "false", "1", "0", "yes", "no")(name, text)
    return None if value == "auto" else value in ("true", "1", "yes")


def _flag(name: str, text: str) -> bool:
    value = _tristate(name, text)
    if value is None:
        raise JobError(f"hyperparameter '{name}' must be true or false, got '{text}'")
    return value


def _storage_uri(name: str, text: str) -> str:
    """An s3:// URI with a bucket, or an absolute folder; empty means the job's checkpoint folder."""
    value = text.strip()
    if value and not (value.startswith("/") or re.fullmatch(r"s3://[^/]+(/.*)?", value)):
        raise JobError(f"hyperparameter '{name}' must be an s3:// URI or an absolute folder path, got '{text}'")
    return value.rstrip("/") if len(value) > 1 else value


def _hp(default: Any, parse: Callable[[str, str], Any], help: str) -> Any:
    return dataclasses.field(default=default, metadata={"parse": parse, "help": help})


_PROBABILITY = _float(0.0, 1.0)
_PROGRAM_HELP = ", ".join(f"{name} ({program.summary})" for name, program in PROGRAMS.items())


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """Everything a run can be told. Defaults reproduce the reference SageMaker MNIST job."""

    program: str = _hp(TRAIN.name, _choice(*PROGRAMS), f"which program runs: {_PROGRAM_HELP}")
    entry_script: str = _hp("", _text, "script: the Python file to run, relative to the code channel")
    batch_size: int = _hp(128, _int(1), "training batch size per worker (per trial in tune)")
    test_batch_size: int = _hp(1000, _int(1), "evaluation batch size")
    epochs: int = _hp(1, _int(1), "passes over the training data")
    learning_rate: float = _hp(0.001, _float(0.0, 10.0, low_open=True), "Adam learning rate")
    beta_1: float = _hp(0.9, _PROBABILITY, "Adam beta_1, in [0, 1)")
    beta_2: float = _hp(0.999, _PROBABILITY, "Adam beta_2, in [0, 1)")
    weight_decay: float = _hp(0.0, _float(0.0), "Adam weight decay")
    seed: int = _hp(1, _int(0), "random seed (model init, shuffling)")
    log_interval: int = _hp(100, _int(1), "print progress every N batches")
    num_workers: int = _hp(0, _int(0), "Ray Train workers; 0 sizes from the hosts")
    cpus_per_worker: int = _hp(0, _int(0), "CPUs per Ray Train worker; 0 sizes from the hosts")
    use_gpu: bool | None = _hp(None, _tristate, "train on GPUs: true, false or auto (if the host has any)")
    backend: str = _hp(
        "auto", _choice("auto", "gloo", "nccl"), "torch.distributed backend; auto: nccl on GPU, gloo on CPU"
    )
    max_failures: int = _hp(2, _int(0), "times a failed run or trial is retried")
    storage_path: str = _hp(
        "", _storage_uri, "Ray's checkpoints and run state: s3:// URI or a folder every host shares; '' = checkpoints/"
    )
    hosts_timeout: int = _hp(600, _int(1), "seconds the hosts of a job may take to form one Ray cluster")
    beta_1_grid: tuple[float, ...] = _hp((0.75, 0.8, 0.85, 0.9), _float_list(_PROBABILITY), "tune: beta_1 values")
    beta_2_grid: tuple[float, ...] = _hp((0.99, 0.98, 0.97, 0.96), _float_list(_PROBABILITY), "tune: beta_2 values")
    cpus_per_trial: int = _hp(1, _int(1), "tune: CPUs per trial")
    asha: bool = _hp(False, _flag, "tune: stop weak trials early (ASHA)")

    @classmethod
    def from_strings(cls, raw: Mapping[str, Any]) -> Hyperparameters:
        """Parse and validate; unknown names are errors so that typos never go unnoticed.

        With program=script only program, entry-script, storage-path and hosts-timeout are read:
        the rest are the script's. A SageMaker SDK estimator's `sagemaker_program` without a program
        of ours means program=script (training/script/source.py).
        """
        fields = {field.name: field for field in dataclasses.fields(cls)}
        programs = [_unquote(v).strip().lower() for k, v in raw.items() if canonical_name(k) == "program"]
        estimator = not programs and ESTIMATOR_PROGRAM in raw
        script = estimator or programs == [SCRIPT.name]
        values = {"program": SCRIPT.name} if estimator else {}
        for key, value in raw.items():
            name = canonical_name(key)
            if key.startswith(_PLATFORM_PREFIXES) or (script and name not in SCRIPT_OWN | CLUSTER_SETTINGS):
                continue
            if name not in fields:
                raise JobError(f"unknown hyperparameter '{key}'; known ones are: {', '.join(sorted(fields))}")
            values[name] = fields[name].metadata["parse"](key, _unquote(value))
        return cls(**values)

    def as_strings(self) -> dict[str, str]:
        """The inverse of from_strings, for writing hyperparameters.json and the metrics file."""
        return {name: _to_string(value) for name, value in dataclasses.asdict(self).items()}


def _unquote(value: Any) -> str:
    """Older SDKs JSON-encode each value (`"\\"0.9\\""`); accept both forms."""
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except json.JSONDecodeError:
            return text
    return text


def _to_string(value: Any) -> str:
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def parse_pairs(args: Sequence[str]) -> dict[str, str]:
    """`--name value` / `--name=value` pairs in order, as a job's command line and the launcher's flags give them.

    A value may not start with `--`: `--asha --epochs 3` is a missing value, not asha="--epochs".
    """
    pairs: dict[str, str] = {}
    items = list(args)
    while items:
        token = items.pop(0)
        if not token.startswith("--") or len(token) == 2:
            raise JobError(f"'{token}' is not a --name value pair: give hyperparameters as --name value")
        name, equals, value = token[2:].partition("=")
        if not equals:
            if not items or items[0].startswith("--"):
                raise JobError(f"hyperparameter --{name} has no value: give one, e.g. --{name} 3")
            value = items.pop(0)
        pairs[name] = value
    return pairs
