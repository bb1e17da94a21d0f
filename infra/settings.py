"""Typed, validated infrastructure settings read from CDK context.

Every knob a user may turn lives here, with a default that deploys a working stack. Values come
from `cdk.json` or `cdk ... -c key=value` (then they are strings), so each one is parsed and checked
once, and a bad value stops synthesis with one sentence that names the setting.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from infra.instance_types import AL2023_PLATFORMS, DEFAULT_TRAINING_INSTANCE_TYPES, INSTANCE_TYPE, al2023_rejects
from infra.stack_names import PROJECT

NETWORK_MODES = ("private", "direct")
REMOVAL_POLICIES = ("retain", "destroy")
# ECR's repository name pattern (CreateRepository API reference), 2 to 256 characters.
REPOSITORY_NAME = r"(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"


class SettingsError(ValueError):
    """A setting from CDK context has a value the stack cannot use."""


@dataclass(frozen=True)
class InfraSettings:
    """Everything the stack needs to know about the user's choices; context keys are the field names in camelCase."""

    instance_type: str = "ml.m5.4xlarge"  # notebook instance type
    volume_size_gb: int = 50  # notebook EBS volume (SageMaker's minimum is 5)
    platform: str = "notebook-al2023-v1"  # AL2 platforms are being retired; the only AL2023 one CloudFormation accepts
    network_mode: str = "private"  # private: NAT, no direct internet; direct: SageMaker's internet, no NAT
    idle_stop_minutes: int = 60  # stop the notebook after this long idle; 0 keeps it running
    removal_policy: str = "retain"  # retain keeps buckets, key and repository when the stack is deleted
    name_prefix: str = PROJECT  # stack name, resource names and training-job name prefix
    root_access: bool = False  # root on the notebook for its users (lifecycle scripts run as root anyway)
    keep_images: int = 20  # ECR keeps this many most recent images
    checkpoint_days: int = 30  # objects under checkpoints/ and old versions expire after this many days
    availability_zone: str = ""  # the VPC's one zone; empty: the region's first (GPU notebook types are not everywhere)
    repository_name: str = ""  # ECR repository name; empty: CloudFormation names it, so a redeploy never collides
    training_instance_types: tuple[str, ...] = DEFAULT_TRAINING_INSTANCE_TYPES  # what CreateTrainingJob may ask for
    restrict_default_security_group: bool = True  # strip the VPC default security group's rules (a Lambda does it)
    mlflow: bool = True  # a SageMaker MLflow App for experiment tracking, which every job then logs to

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> "InfraSettings":
        """Build settings from a context lookup (e.g. `app.node.try_get_context`), keeping defaults for unset keys."""
        values = {}
        for field in fields(cls):
            raw = get(context_key(field.name))
            if raw is not None:
                values[field.name] = PARSERS[field.name](context_key(field.name), raw)
        return cls(**values)

    def __post_init__(self) -> None:
        for name, check in CHECKS.items():
            check(context_key(name), getattr(self, name))

    @property
    def job_name_prefix(self) -> str:
        """Training jobs started by the launcher are named `<prefix>-...`; IAM scopes job actions to that prefix."""
        return f"{self.name_prefix}-"


def context_key(field_name: str) -> str:
    """Map a field name (volume_size_gb) to its context key (volumeSizeGb)."""
    head, *rest = field_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _parse_int(key: str, raw: Any) -> int:
    if isinstance(raw, bool) or not re.fullmatch(r"-?\d+", str(raw).strip()):
        raise SettingsError(f"{key} must be a whole number, got '{raw}'")
    return int(str(raw).strip())


def _parse_bool(key: str, raw: Any) -> bool:
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        raise SettingsError(f"{key} must be true or false, got '{raw}'")
    return text == "true"


def _parse_str(key: str, raw: Any) -> str:
    return str(raw).strip()


def _parse_list(key: str, raw: Any) -> tuple[str, ...]:
    """A list from cdk.json, or a comma-separated string from `-c key=a,b`."""
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _pattern(pattern: str, meaning: str) -> Callable[[str, str], None]:
    def check(key: str, value: str) -> None:
        if not re.fullmatch(pattern, value):
            raise SettingsError(f"{key} must be {meaning}, got '{value}'")

    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[str, str], None]:
    def check(key: str, value: str) -> None:
        if value not in choices:
            raise SettingsError(f"{key} must be one of {', '.join(choices)}, got '{value}'")

    return check


def _between(low: int, high: int) -> Callable[[str, int], None]:
    def check(key: str, value: int) -> None:
        if not low <= value <= high:
            raise SettingsError(f"{key} must be between {low} and {high}, got {value}")

    return check


def _is_bool(key: str, value: bool) -> None:
    if not isinstance(value, bool):
        raise SettingsError(f"{key} must be true or false, got '{value}'")


def _notebook_instance_type(key: str, value: str) -> None:
    _pattern(INSTANCE_TYPE, "a SageMaker instance type such as ml.m5.4xlarge")(key, value)
    if al2023_rejects(value):
        raise SettingsError(f"{key} must be an instance type Amazon Linux 2023 notebooks offer, got '{value}'")


def _training_instance_types(key: str, value: tuple[str, ...]) -> None:
    if not value:
        raise SettingsError(f"{key} must be one or more SageMaker instance types, got none")
    for item in value:
        _pattern(INSTANCE_TYPE, "a list of SageMaker instance types such as ml.m5.xlarge,ml.g5.xlarge")(key, item)


PARSERS: Mapping[str, Callable[[str, Any], Any]] = {
    "instance_type": _parse_str,
    "volume_size_gb": _parse_int,
    "platform": _parse_str,
    "network_mode": _parse_str,
    "idle_stop_minutes": _parse_int,
    "removal_policy": _parse_str,
    "name_prefix": _parse_str,
    "root_access": _parse_bool,
    "keep_images": _parse_int,
    "checkpoint_days": _parse_int,
    "availability_zone": _parse_str,
    "repository_name": _parse_str,
    "training_instance_types": _parse_list,
    "restrict_default_security_group": _parse_bool,
    "mlflow": _parse_bool,
}

CHECKS: Mapping[str, Callable[[str, Any], None]] = {
    "instance_type": _notebook_instance_type,
    "volume_size_gb": _between(5, 16384),
    "platform": _one_of(AL2023_PLATFORMS),
    "network_mode": _one_of(NETWORK_MODES),
    "idle_stop_minutes": _between(0, 10080),
    "removal_policy": _one_of(REMOVAL_POLICIES),
    "name_prefix": _pattern(
        r"[a-z][a-z0-9-]{1,30}[a-z0-9]", "3 to 32 lowercase letters, digits or hyphens starting with a letter"
    ),
    "root_access": _is_bool,
    "keep_images": _between(1, 1000),
    "checkpoint_days": _between(1, 3650),
    "availability_zone": _pattern(r"([a-z]{2}(-[a-z]+)+-\d+[a-z])?", "empty or an Availability Zone like us-east-1a"),
    "repository_name": _pattern(f"({REPOSITORY_NAME})?", "empty or an ECR repository name (lowercase, 2 to 256)"),
    "training_instance_types": _training_instance_types,
    "restrict_default_security_group": _is_bool,
    "mlflow": _is_bool,
}
