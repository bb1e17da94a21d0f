"""The contract's other side: a folder laid out as SageMaker lays out /opt/ml, and the entry point run on it.

The local executor, the demo, the benchmarks and the simulated hosts all prepare jobs through this
module, so the files they write are the ones training/contract/environment.py reads (its names and
paths, not copies of them).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from training.contract.environment import (
    DEFAULT_INSTANCE_GROUP,
    FIRST_HOST,
    HYPERPARAMETERS_FILE,
    INPUT_DATA_CONFIG_FILE,
    RESOURCE_CONFIG_FILE,
    read_paths,
)

REPOSITORY = Path(__file__).resolve().parents[2]
# What the image's ENV sets (container/Dockerfile; tests/container/test_dockerfile.py checks they agree) that a run
# outside it needs as well: every line reaches the job's log when it is printed (the leader prints its workers'
# lines too), as in the image's CloudWatch stream, and Ray never tries to report usage.
IMAGE_ENVIRONMENT = {"PYTHONUNBUFFERED": "1", "RAY_USAGE_STATS_ENABLED": "0"}


def layout(
    root: Path,
    hyperparameters: Mapping[str, str],
    channels: Mapping[str, Path],
    hosts: Sequence[str] = (FIRST_HOST,),
    current_host: str = FIRST_HOST,
    interface: str = "lo",
    instance_type: str = "",
) -> None:
    """Lay out one host's SageMaker training folder at root: config files, data channels, output folders.

    One host by default; for a job on several, each host gets its own folder with its own current_host.
    """
    paths = read_paths({"SM_BASE_DIR": str(root)})
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    _write_json(paths.config_dir / HYPERPARAMETERS_FILE, {key: str(value) for key, value in hyperparameters.items()})
    _write_json(
        paths.config_dir / RESOURCE_CONFIG_FILE, resource_config(list(hosts), current_host, interface, instance_type)
    )
    _write_json(
        paths.config_dir / INPUT_DATA_CONFIG_FILE,
        {name: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"} for name in channels},
    )
    for name, source in channels.items():
        shutil.copytree(source, paths.data_dir / name, dirs_exist_ok=True)
    for folder in (paths.model_dir, paths.output_data_dir, paths.checkpoint_dir):
        folder.mkdir(parents=True, exist_ok=True)


def resource_config(hosts: list[str], current_host: str, interface: str, instance_type: str) -> dict[str, object]:
    """resourceconfig.json as SageMaker writes it: one instance group holding every host, its type if known."""
    group: dict[str, object] = {"instance_group_name": DEFAULT_INSTANCE_GROUP, "hosts": hosts}
    typed = {"current_instance_type": instance_type} if instance_type else {}
    if instance_type:
        group["instance_type"] = instance_type
    return {
        "current_host": current_host,
        **typed,
        "current_group_name": DEFAULT_INSTANCE_GROUP,
        "hosts": hosts,
        "network_interface_name": interface,
        "instance_groups": [group],
    }


def entrypoint_command(root: Path, job_env: Mapping[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run the image's entry point on a laid-out folder.

    job_env is what SageMaker puts in the container's environment (the request's Environment, the job's name).
    """
    env = {**os.environ, **IMAGE_ENVIRONMENT, **(job_env or {}), "SM_BASE_DIR": str(root.resolve())}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return [sys.executable, *ENTRYPOINT_MODULE], env


ENTRYPOINT_MODULE = ("-m", "training.entrypoint", "train")  # what container/train execs, `train` as SageMaker passes


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n")
