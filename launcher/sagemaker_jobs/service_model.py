"""A request checked against SageMaker's own service model, the one botocore ships, before it is sent.

botocore's ParamValidator checks types and required members (and `min` of some members) but not a
member's `max`, `pattern` or `enum` (botocore/validate.py): SageMaker checks those on its side, after
the launcher has spent its time. This walks the operation's input shape generically, so members other
engineers add to the request (MlflowConfig, RemoteDebugConfig, ...) are checked by the same rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import botocore.session
import regex
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.validate import ParamValidator

from launcher.errors import LauncherError

SERVICE = "sagemaker"
CREATE_TRAINING_JOB = "CreateTrainingJob"
_NUMBERS = ("integer", "long", "float", "double")
_SIZED = ("string", "list", "map")
# Java writes "any character above U+FFFF" as a range of UTF-16 surrogate pairs; Python reads code points.
_SURROGATE_PAIRS = r"\uD800\uDC00-\uDBFF\uDFFF"
_ASTRAL = r"\U00010000-\U0010FFFF"


@functools.cache
def operation(name: str = CREATE_TRAINING_JOB) -> OperationModel:
    """The operation's model from botocore's shipped data (loaded once; the file is several MB)."""
    return botocore.session.get_session().get_service_model(SERVICE).operation_model(name)


def limit(member_path: str, key: str, name: str = CREATE_TRAINING_JOB) -> Any:
    """A member's `min`, `max` or `pattern` in the model: limit("ResourceConfig.KeepAlivePeriodInSeconds", "max")."""
    shape: Shape = operation(name).input_shape
    for part in member_path.split("."):
        shape = shape.members[part]
    return shape.metadata[key]


def problems(request: dict[str, Any], name: str = CREATE_TRAINING_JOB) -> list[str]:
    """Every rule of the model the request breaks, each as `Member.Path: what is wrong`."""
    shape = operation(name).input_shape
    report = ParamValidator().validate(request, shape)
    found = report.generate_report().splitlines() if report.has_errors() else []
    return found + list(_broken(request, shape, ""))


def validate(request: dict[str, Any], name: str = CREATE_TRAINING_JOB) -> None:
    """LauncherError naming the first broken rule: what SageMaker would answer with ValidationException."""
    found = problems(request, name)
    if found:
        raise LauncherError(f"SageMaker would refuse this {name} request ({found[0]}): change that flag or value")


def _broken(value: Any, shape: Shape, path: str) -> Iterator[str]:
    """The model's pattern, min/max and enum rules this value breaks, then those of its members."""
    yield from _own_rules(value, shape, path or shape.name)
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for member, item in value.items():
            if member in shape.members:
                yield from _broken(item, shape.members[member], f"{path}.{member}" if path else member)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _broken(item, shape.member, f"{path}[{index}]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            yield from _broken(key, shape.key, f"{path} key {key!r}")
            yield from _broken(item, shape.value, f"{path}[{key!r}]")


def _own_rules(value: Any, shape: Shape, path: str) -> Iterator[str]:
    rules = shape.metadata
    if shape.type_name in _SIZED and isinstance(value, (str, list, dict)):
        unit = "characters" if shape.type_name == "string" else "entries"
        if "min" in rules and len(value) < rules["min"]:
            yield f"{path} must have at least {rules['min']} {unit}, has {len(value)}"
        if "max" in rules and len(value) > rules["max"]:
            yield f"{path} must have at most {rules['max']} {unit}, has {len(value)}"
    if shape.type_name in _NUMBERS and isinstance(value, (int, float)) and not isinstance(value, bool):
        if "min" in rules and value < rules["min"]:
            yield f"{path} must be at least {rules['min']}, got {value}"
        if "max" in rules and value > rules["max"]:
            yield f"{path} must be at most {rules['max']}, got {value}"
    if shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            allowed = ", ".join(shape.enum) if len(shape.enum) <= 8 else f"SageMaker's {len(shape.enum)} values"
            yield f"{path} must be one of {allowed}, got {value!r}"
        pattern = _pattern(rules.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            yield f"{path} must match {rules['pattern']}, got {value!r}"


@functools.cache
def _pattern(text: str | None) -> regex.Pattern[str] | None:
    """The model's pattern (a Java regex the whole value must match) as one Python can run."""
    return regex.compile(text.replace(_SURROGATE_PAIRS, _ASTRAL)) if text else None
