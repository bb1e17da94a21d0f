"""The SageMaker training container contract, read in one place.

Everything else in training/ receives a `JobEnvironment` and never reads `os.environ`
or `/opt/ml` itself, so tests and the local executor run the same code in a temporary
folder by setting `SM_BASE_DIR`.

Sources and precedence (later wins):
- Hyperparameters: `SM_HPS` (JSON, set by the sagemaker-training toolkit) <
  `input/config/hyperparameters.json` (the platform's file, the source of truth) <
  `--key value` command-line pairs (how SageMaker SDK v3 passes them to a script).
  The program (train or tune) may also come from `RAY_SM_PROGRAM`, below all of these.
  Names compare with `-` and `_` alike, so `--batch-size` beats a file's `batch_size`.
- Hosts: `resourceconfig.json` is the truth; `SM_HOSTS` / `SM_CURRENT_HOST` only stand in when
  it is absent, and with neither a run is one host, `algo-1`.
- Channels: the names in `inputdataconfig.json` and the folders under `input/data/`;
  `SM_CHANNEL_<NAME>` overrides a channel's folder.
- Paths: derived from `SM_BASE_DIR` (default `/opt/ml`); `SM_MODEL_DIR`, `SM_OUTPUT_DATA_DIR`
  override theirs.
- Leader: the first of the job's hosts sorted by name, whatever order `resourceconfig.json` lists them or
  its instance groups in, so every host agrees; the sagemaker-training toolkit's master is the first of
  `hosts`, which SageMaker lists sorted (sagemaker_training/environment.py, `get_master_hostname`).
- Job identity: `TRAINING_JOB_ARN` or `TRAINING_JOB_NAME`, which the platform sets alike on every
  host (the toolkit reads `TRAINING_JOB_NAME`, sagemaker_training/params.py); empty outside SageMaker.
- Capacity: `SM_NUM_CPUS` / `SM_NUM_GPUS`, else what this process may use on the host.
- Experiment tracking: MLflow's own `MLFLOW_*` variables (training/tracking/mlflow_run.py) and the image's URI,
  `RAY_SM_IMAGE`, which the launcher puts in the job's Environment (SageMaker does not tell a container).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from training.contract.hyperparameters import Hyperparameters, canonical_name, parse_pairs
from training.contract.programs import PROGRAMS
from training.errors import JobError

DEFAULT_BASE_DIR = "/opt/ml"
FIRST_HOST = "algo-1"  # SageMaker names a job's hosts algo-1, algo-2, ...
DEFAULT_INSTANCE_GROUP = "homogeneousCluster"  # the one group of a job that names no instance groups
HYPERPARAMETERS_FILE = "hyperparameters.json"
RESOURCE_CONFIG_FILE = "resourceconfig.json"
INPUT_DATA_CONFIG_FILE = "inputdataconfig.json"
IMAGE_VARIABLE = "RAY_SM_IMAGE"


@dataclasses.dataclass(frozen=True)
class JobPaths:
    """Where the job's outputs go; known even when the rest of the contract is bad."""

    base_dir: Path
    model_dir: Path
    output_data_dir: Path

    @property
    def config_dir(self) -> Path:
        """The platform's JSON files: hyperparameters, resource config, input data config."""
        return self.base_dir / "input" / "config"

    @property
    def data_dir(self) -> Path:
        """One folder per data channel, as SageMaker downloads them in File mode."""
        return self.base_dir / "input" / "data"

    @property
    def checkpoint_dir(self) -> Path:
        """Synced with CheckpointConfig.S3Uri by SageMaker and restored at job start."""
        return self.base_dir / "checkpoints"

    @property
    def failure_file(self) -> Path:
        """Its first 1024 characters become the job's FailureReason."""
        return self.base_dir / "output" / "failure"


@dataclasses.dataclass(frozen=True)
class JobEnvironment:
    """One object that knows every path, host, channel and hyperparameter of the job."""

    paths: JobPaths
    hyperparameters: Hyperparameters
    channels: Mapping[str, Path]
    hosts: tuple[str, ...]
    current_host: str
    leader: str
    job_identity: str
    network_interface: str
    num_cpus: int
    num_gpus: int
    # The files as given, for a program that expects the toolkit's SM_* variables (training/script/environment.py).
    given_hyperparameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    resource_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    input_data_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    mlflow_variables: Mapping[str, str] = dataclasses.field(default_factory=dict)
    image: str = ""

    @property
    def is_leader(self) -> bool:
        """The leader runs the Ray head and the program, and writes the outputs."""
        return self.current_host == self.leader

    @property
    def storage_path(self) -> str:
        """Where Ray keeps checkpoints and run state: storage-path, else the local checkpoint folder."""
        return self.hyperparameters.storage_path or str(self.paths.checkpoint_dir.resolve())

    def channel(self, name: str) -> Path:
        """The folder of a data channel, or a JobError that says which channel is missing."""
        path = self.channels.get(name)
        if path is None or not path.is_dir():
            known = ", ".join(sorted(self.channels)) or "none"
            raise JobError(f"the '{name}' data channel is missing (channels given: {known})")
        return path


def read_paths(environ: Mapping[str, str] | None = None) -> JobPaths:
    """The output folders, from SM_BASE_DIR and the toolkit's overrides; this cannot fail."""
    env = os.environ if environ is None else environ
    base = Path(env.get("SM_BASE_DIR", DEFAULT_BASE_DIR))
    return JobPaths(
        base_dir=base,
        model_dir=Path(env.get("SM_MODEL_DIR", base / "model")),
        output_data_dir=Path(env.get("SM_OUTPUT_DATA_DIR", base / "output" / "data")),
    )


def read_environment(argv: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> JobEnvironment:
    """Build the job's environment from the files, the SM_* variables and the command line."""
    env = os.environ if environ is None else environ
    paths = read_paths(env)
    config = paths.config_dir
    resources = _read_json(config / RESOURCE_CONFIG_FILE)
    hosts = tuple(resources.get("hosts") or _variable(env, "SM_HOSTS", [FIRST_HOST], _json_of(list)))
    current = resources.get("current_host") or env.get("SM_CURRENT_HOST", hosts[0])
    if current not in hosts:
        raise JobError(f"current host '{current}' is not among the job's hosts {list(hosts)}")
    given = _hyperparameters(config, argv, env)
    hyperparameters = Hyperparameters.from_strings(given)
    if len(hosts) > 1 and not hyperparameters.storage_path and not PROGRAMS[hyperparameters.program].users_own:
        raise JobError(
            f"a job on {len(hosts)} hosts needs the storage-path hyperparameter: an s3:// URI "
            "(such as the job's checkpoint prefix) or a folder that every host shares"
        )
    return JobEnvironment(
        paths=paths,
        hyperparameters=hyperparameters,
        channels=_channels(paths, env),
        hosts=tuple(sorted(hosts)),
        current_host=current,
        leader=min(hosts),
        job_identity=env.get("TRAINING_JOB_ARN") or env.get("TRAINING_JOB_NAME", ""),
        network_interface=resources.get("network_interface_name") or env.get("SM_NETWORK_INTERFACE_NAME", "eth0"),
        num_cpus=_count(env, "SM_NUM_CPUS", len(os.sched_getaffinity(0))),
        num_gpus=_count(env, "SM_NUM_GPUS", _visible_gpus()),
        given_hyperparameters=given,
        resource_config=resources,
        input_data_config=_read_json(config / INPUT_DATA_CONFIG_FILE),
        mlflow_variables={key: value for key, value in env.items() if key.startswith("MLFLOW_")},
        image=env.get(IMAGE_VARIABLE, ""),
    )


def _hyperparameters(config: Path, argv: Sequence[str], env: Mapping[str, str]) -> dict[str, Any]:
    """Every source, later ones winning per name however each spells it (`batch-size`, `batch_size`)."""
    sources = [
        {"program": env["RAY_SM_PROGRAM"]} if "RAY_SM_PROGRAM" in env else {},
        _variable(env, "SM_HPS", {}, _json_of(dict)),
        _read_json(config / HYPERPARAMETERS_FILE),
        parse_command_line(argv),
    ]
    # canonical name -> (the name as its winning source spelled it, for messages; the value)
    merged: dict[str, tuple[str, Any]] = {}
    for source in sources:
        merged.update({canonical_name(key): (key, value) for key, value in source.items()})
    return dict(merged.values())


def parse_command_line(argv: Sequence[str]) -> dict[str, str]:
    """`[train] --key value --other=value ...` into a dict.

    SageMaker starts an image as `IMAGE train`, so a leading `train` is the platform's, not ours.
    """
    args = list(argv)
    return parse_pairs(args[1:] if args[:1] == ["train"] else args)


def _channels(paths: JobPaths, env: Mapping[str, str]) -> dict[str, Path]:
    data = paths.data_dir
    names = set(_read_json(paths.config_dir / INPUT_DATA_CONFIG_FILE))
    if data.is_dir():
        names.update(entry.name for entry in data.iterdir() if entry.is_dir())
    channels = {name: data / name for name in names}
    prefix = "SM_CHANNEL_"
    channels.update({key[len(prefix) :].lower(): Path(value) for key, value in env.items() if key.startswith(prefix)})
    return channels


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JobError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise JobError(f"{path} must hold a JSON object")
    return content


def _variable(env: Mapping[str, str], name: str, default: Any, convert: Callable[[str], Any]) -> Any:
    """An SM_* variable converted, or default when unset; convert's ValueError says what is wrong."""
    text = env.get(name)
    if text is None:
        return default
    try:
        return convert(text)
    except ValueError as error:
        raise JobError(f"environment variable {name} {error}, got '{text}'") from None


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    return _variable(env, name, default, _whole_number)


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _json_of(kind: type) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("is not valid JSON") from None
        if not isinstance(value, kind):
            raise ValueError(f"must be a JSON {kind.__name__}")
        return value

    return convert


def _visible_gpus() -> int:
    import torch

    return torch.cuda.device_count()
