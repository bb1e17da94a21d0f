"""What a script-mode program expects from SageMaker: the toolkit's SM_* variables and `--name value` arguments.

SageMaker's framework images run a user's script through the sagemaker-training toolkit, which sets
SM_MODEL_DIR, SM_CHANNEL_<NAME>, SM_HPS, SM_TRAINING_ENV, ... and passes the hyperparameters as
arguments. This image does not run the toolkit, so this module gives a script the same names and
formats from the job's contract: strings as they are, everything else compact JSON with sorted keys.
It follows `sagemaker_training.environment.Environment.to_env_vars()` and `.to_cmd_args()` of
sagemaker-training 5.1.4, which the tests compare it with for the same folder layout.

Hyperparameters are the toolkit's: every given one except the platform's (`sagemaker_*`) and ours
(`program`, `entry-script`, and the cluster's `storage-path` and `hosts-timeout`, which the launcher adds
to jobs on several hosts and a script gets as Ray's default storage path instead), each value decoded as
JSON where it parses (`"0.1"` -> 0.1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from training.contract.environment import DEFAULT_INSTANCE_GROUP, JobEnvironment
from training.contract.hyperparameters import (
    CLUSTER_SETTINGS,
    ESTIMATOR_CODE,
    ESTIMATOR_PROGRAM,
    SCRIPT_OWN,
    canonical_name,
)
from training.tracking.mlflow_run import script_variables

# sagemaker_training.params.SAGEMAKER_HYPERPARAMETERS: the toolkit's own settings, neither hps nor framework params.
_TOOLKIT_SETTINGS = frozenset(
    {
        ESTIMATOR_PROGRAM,
        ESTIMATOR_CODE,
        "sagemaker_enable_cloudwatch_metrics",
        "sagemaker_region",
        "sagemaker_container_log_level",
        "sagemaker_job_name",
        "default_user_module_name",
        "_tuning_objective_metric",
        "sagemaker_s3_output",
    }
)
_INFO = 20  # logging.INFO, the toolkit's default log level


def script_hyperparameters(given: Mapping[str, Any]) -> dict[str, Any]:
    """The script's own hyperparameters, decoded as the toolkit decodes them."""
    return {
        key: decoded(value)
        for key, value in given.items()
        if key not in _TOOLKIT_SETTINGS
        and not key.startswith("sagemaker_")
        and canonical_name(key) not in SCRIPT_OWN | CLUSTER_SETTINGS
    }


def script_arguments(given: Mapping[str, Any]) -> list[str]:
    """`--name value` for each of the script's hyperparameters, sorted by name, as the toolkit passes them."""
    arguments = []
    for name, value in sorted(script_hyperparameters(given).items()):
        arguments.append(f"--{name}" if len(name) > 1 else f"-{name}")
        is_mapping = isinstance(value, Mapping)
        arguments.append(",".join(f"{k}={v}" for k, v in sorted(value.items())) if is_mapping else _text(value))
    return arguments


def script_environment(
    env: JobEnvironment, entry_script: str, module_dir: str, inherited: Mapping[str, str]
) -> dict[str, str]:
    """Every SM_* variable the toolkit sets for a script, for this job, host and script, and the job's MLflow run.

    inherited is the environment the script starts from; the toolkit takes the job's name (in
    SM_TRAINING_ENV) from its TRAINING_JOB_NAME, where the container has one.
    """
    training_env = _training_env(env, entry_script, module_dir)
    training_env["job_name"] = inherited.get("TRAINING_JOB_NAME")
    variables = {key: value for key, value in training_env.items() if key not in _NOT_EXPORTED}
    if training_env["topology"]:  # the toolkit exports it only where there is one (GB200 Ultraserver)
        variables["topology"] = training_env["topology"]
    variables.update(
        hps=training_env["hyperparameters"],
        framework_params=training_env["additional_framework_parameters"],
        channels=sorted(training_env["channel_input_dirs"]),
        training_env=training_env,
        user_args=script_arguments(env.given_hyperparameters),
    )
    variables.update({f"channel_{name}": path for name, path in training_env["channel_input_dirs"].items()})
    variables.update({f"hp_{name}": value for name, value in training_env["hyperparameters"].items()})
    return {**{f"SM_{key.upper()}": _formatted(value) for key, value in variables.items()}, **script_variables(env)}


# Properties of the toolkit's Environment that appear in SM_TRAINING_ENV only, or under another name.
_NOT_EXPORTED = frozenset(
    {
        "additional_framework_parameters",
        "channel_input_dirs",
        "distribution_hosts",
        "hyperparameters",
        "is_master",
        "is_modelparallel_enabled",
        "is_smddpmprun_installed",
        "is_smddprun_installed",
        "job_name",
        "master_hostname",
        "topology",
    }
)


def _training_env(env: JobEnvironment, entry_script: str, module_dir: str) -> dict[str, Any]:
    """The toolkit's Environment as a dict (SM_TRAINING_ENV): every property, by name."""
    resources = dict(env.resource_config) or {
        "current_host": env.current_host,
        "hosts": list(env.hosts),
        "network_interface_name": env.network_interface,
    }
    given = env.given_hyperparameters
    framework = {
        key: decoded(value)
        for key, value in given.items()
        if key.startswith("sagemaker_") and key not in _TOOLKIT_SETTINGS
    }
    groups = {group["instance_group_name"]: group for group in resources.get("instance_groups", [])}
    current_group = resources.get("current_group_name", DEFAULT_INSTANCE_GROUP)
    distribution_groups = framework.get("sagemaker_distribution_instance_groups", [])
    distribution_hosts = (
        [host for name, group in groups.items() if name in distribution_groups for host in group["hosts"]]
        if groups
        else list(env.hosts)
    )
    master = (distribution_hosts or list(env.hosts))[0]
    base, paths = env.paths.base_dir, env.paths
    return {
        "additional_framework_parameters": framework,
        "channel_input_dirs": {name: str(path) for name, path in sorted(env.channels.items())},
        "current_host": env.current_host,
        "current_instance_group": current_group,
        "current_instance_group_hosts": groups.get(current_group, {}).get("hosts", []),
        "current_instance_type": resources.get("current_instance_type", "local"),
        "distribution_hosts": distribution_hosts,
        "distribution_instance_groups": distribution_groups,
        "framework_module": None,
        "hosts": list(env.hosts),
        "hyperparameters": script_hyperparameters(given),
        "input_config_dir": str(base / "input" / "config"),
        "input_data_config": dict(env.input_data_config),
        "input_dir": str(base / "input"),
        "instance_groups": list(groups),
        "instance_groups_dict": groups,
        "is_hetero": len(groups) > 1,
        "is_master": env.current_host == master,
        "is_modelparallel_enabled": None,
        "is_smddpmprun_installed": False,
        "is_smddprun_installed": False,
        "job_name": None,
        "log_level": decoded(given.get("sagemaker_container_log_level", _INFO)),
        "master_hostname": master,
        "model_dir": str(paths.model_dir),
        "module_dir": module_dir,
        "module_name": entry_script.removesuffix(".py"),
        "network_interface_name": resources.get("network_interface_name", "eth0"),
        "num_cpus": env.num_cpus,
        "num_gpus": env.num_gpus,
        "num_neurons": 0,
        "output_data_dir": str(paths.output_data_dir),
        "output_dir": str(base / "output"),
        "output_intermediate_dir": str(base / "output" / "intermediate"),
        "resource_config": resources,
        "topology": resources.get("topology", []),
        "user_entry_point": entry_script,
    }


def decoded(value: Any) -> Any:
    """A hyperparameter as the toolkit reads it: the JSON value when the string is JSON, else the string."""
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _formatted(value: Any) -> str:
    """An environment variable's value: strings as they are, None empty, all else compact sorted JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
