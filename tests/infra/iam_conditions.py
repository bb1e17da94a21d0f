"""Evaluate an IAM statement's Condition block against a request context, as IAM's documentation defines it.

moto's IAM has no policy simulator (simulate_principal_policy is not implemented in moto 5.2), and AWS's
simulator needs an account, so the tests evaluate the stack's own statements with these rules (IAM User Guide:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html):
- operators in one block, and keys under one operator, must all match (AND); several values for one key
  match if any does (OR);
- a plain operator (StringEquals, ArnEquals, Bool) is false when the key is absent from the request;
  the ...IfExists form is true then;
- `Null: "true"` holds when the key is absent, `Null: "false"` when it is present;
- `ForAllValues:` holds when every request value matches some policy value, and also when the key is absent.
Values are compared as template values, so a CloudFormation token such as the key's `Fn::GetAtt` stands for
the ARN on both sides. Only the operators the stack uses are known; any other fails loudly.
"""

import json
from collections.abc import Mapping

Context = Mapping[str, object]


def _same(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _key_matches(operator: str, key: str, wanted: object, context: Context) -> bool:
    present = key in context
    if operator == "Null":
        return str(wanted).lower() == ("false" if present else "true")
    if operator.startswith("ForAllValues:"):
        inner = operator.removeprefix("ForAllValues:")
        if inner != "StringEquals":
            raise ValueError(f"Unknown operator {operator}")
        return all(any(_same(v, w) for w in _as_list(wanted)) for v in _as_list(context.get(key, [])))
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in ("StringEquals", "ArnEquals", "Bool"):
        raise ValueError(f"Unknown operator {operator}")
    if not present:
        return if_exists
    return any(_same(context[key], w) for w in _as_list(wanted))


def conditions_hold(condition: Mapping[str, Mapping[str, object]] | None, context: Context) -> bool:
    """True when every operator's every key matches the request context."""
    return all(
        _key_matches(operator, key, wanted, context)
        for operator, keys in (condition or {}).items()
        for key, wanted in keys.items()
    )


def allowed(statements: list[dict], action: str, context: Context) -> bool:
    """True when some Allow statement for the action has conditions that hold (resources are checked elsewhere)."""
    return any(
        s["Effect"] == "Allow" and action in _as_list(s["Action"]) and conditions_hold(s.get("Condition"), context)
        for s in statements
    )


def training_job_context(request: Mapping[str, object]) -> dict[str, object]:
    """The SageMaker condition keys a CreateTrainingJob request body sets, as the Service Authorization Reference
    describes them: the volume key, the output key, and the instance types of ResourceConfig (its instance groups
    included). A field the request leaves out gives no key, as in IAM's request context."""
    resources = request.get("ResourceConfig", {})
    groups = resources.get("InstanceGroups", [])
    types = [t for t in [resources.get("InstanceType"), *[g["InstanceType"] for g in groups]] if t]
    context: dict[str, object] = {}
    if types:
        context["sagemaker:InstanceTypes"] = types
    if resources.get("VolumeKmsKeyId"):
        context["sagemaker:VolumeKmsKey"] = resources["VolumeKmsKeyId"]
    if request.get("OutputDataConfig", {}).get("KmsKeyId"):
        context["sagemaker:OutputKmsKey"] = request["OutputDataConfig"]["KmsKeyId"]
    return context
