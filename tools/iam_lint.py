"""Lint every IAM policy of a synthesized CloudFormation template with parliament (`make lint-infra`).

parliament knows AWS's actions, resource types and condition keys, but reads plain policy JSON: the
template's intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) are first resolved to values of
the shape CloudFormation gives them for their resource type (an S3 bucket's Arn is
`arn:aws:s3:::NAME`, a KMS key's `arn:aws:kms:REGION:ACCOUNT:key/ID`, ...), in a made-up account, so
that parliament can match each resource to the actions on it. A resource type or attribute this file
does not know fails the lint rather than passing unchecked.

Usage: python -m tools.iam_lint TEMPLATE.json...   (prints each finding; exit status 1 when there are any)
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # parliament imports pkg_resources, which warns that it is deprecated
    warnings.simplefilter("ignore", UserWarning)
    import parliament

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"
_KEY_ID = "0a1b2c3d-0000-4000-8000-0123456789ab"  # the shape of a KMS key id (and of a stack id's suffix)
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
    "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/stack/{_KEY_ID}",
}
_SECURITY_GROUP = "sg-0123456789abcdef0"

# What Ref returns per resource type (CloudFormation's "Return values" of each type), from the physical name.
_REF: dict[str, Callable[[str], str]] = {
    "AWS::S3::Bucket": lambda name: name,
    "AWS::IAM::Role": lambda name: name,
    "AWS::ECR::Repository": lambda name: name,
    "AWS::KMS::Key": lambda name: _KEY_ID,
    "AWS::EC2::SecurityGroup": lambda name: _SECURITY_GROUP,
}
# What Fn::GetAtt returns per (resource type, attribute).
_APP_ID = "app-0123456789ab"
_ATTRIBUTES: dict[tuple[str, str], Callable[[str], str]] = {
    ("AWS::S3::Bucket", "Arn"): lambda name: f"arn:{PARTITION}:s3:::{name}",
    ("AWS::KMS::Key", "Arn"): lambda name: f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/{_KEY_ID}",
    ("AWS::ECR::Repository", "Arn"): lambda name: f"arn:{PARTITION}:ecr:{REGION}:{ACCOUNT}:repository/{name}",
    ("AWS::IAM::Role", "Arn"): lambda name: f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
    ("AWS::EC2::VPC", "DefaultSecurityGroup"): lambda name: _SECURITY_GROUP,
    # An App's ARN ends in its generated id, not its name (botocore's MlFlowResourceArn: mlflow-app/app-...).
    ("AWS::SageMaker::MlflowApp", "Arn"): lambda name: (
        f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:mlflow-app/{_APP_ID}"
    ),
}
_NAME_PROPERTIES = ("BucketName", "RoleName", "RepositoryName")
# The policy documents a resource can hold, by resource type, that parliament can read.
_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::ECR::Repository": ("RepositoryPolicyText",),
}
# parliament findings that are wrong for this template, by (location, issue), with the reason; matched exactly,
# so a finding anywhere else (or a key renamed) is reported again.
SKIPPED: dict[tuple[str, str], str] = {
    ("EncryptionKey3A692D6E.KeyPolicy", "RESOURCE_MISMATCH"): (
        "the key policy CDK writes by default (the account may use the key through IAM, `kms:*` on this key) "
        "is AWS's own default key policy; kms:* also names account-level actions (CreateKey, ListKeys, alias "
        "actions) that a key policy cannot grant, so they mean nothing there rather than too much"
    ),
}

# Actions newer than parliament 1.6.4's list of AWS actions (SageMaker's MLflow Apps came in 2025), each with where
# it is defined: UNKNOWN_ACTION for exactly these is parliament not knowing them yet, not a typo.
NEWER_ACTIONS: dict[str, str] = {
    "sagemaker:DescribeMlflowApp": "botocore's sagemaker model, operation DescribeMlflowApp",
    "sagemaker:CreatePresignedMlflowAppUrl": "botocore's sagemaker model, operation CreatePresignedMlflowAppUrl",
    "sagemaker-mlflow:LogOutputs": (
        "the SageMaker SDK's MLflow execution-role actions (sagemaker/core/helper/iam_policies.py)"
    ),
}


class LintError(Exception):
    """A template this lint cannot read faithfully (an intrinsic or resource type it does not know)."""


def policies(template: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(location, policy document) for every policy in the template, intrinsics as they are.

    A policy held by the resource it governs names that resource implicitly, and parliament is given it
    explicitly: a role's trust policy has no Resource element (IAM User Guide, "IAM JSON policy elements:
    Resource"), and in a key policy "*" means "this KMS key" (KMS Developer Guide, "Key policies").
    """
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        for name in _DOCUMENTS.get(resource["Type"], ()):
            if name in properties:
                yield f"{logical_id}.{name}", _naming_itself(properties[name], resource["Type"], logical_id)
        if resource["Type"] == "AWS::IAM::Role":
            for inline in properties.get("Policies", []):
                yield f"{logical_id}.Policies.{inline['PolicyName']}", inline["PolicyDocument"]


def _naming_itself(document: Mapping[str, Any], kind: str, logical_id: str) -> Mapping[str, Any]:
    if kind not in ("AWS::IAM::Role", "AWS::KMS::Key"):
        return document
    itself = {"Fn::GetAtt": [logical_id, "Arn"]}
    statements = [
        {**statement, "Resource": itself}
        if statement.get("Resource", "*") == "*" and "NotResource" not in statement
        else statement
        for statement in _as_list(document.get("Statement", []))
    ]
    return {**document, "Statement": statements}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolve(value: Any, resources: Mapping[str, Any]) -> Any:
    """The value with every intrinsic function replaced by what CloudFormation would put there."""
    if isinstance(value, list):
        return [resolve(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and (name := next(iter(value))) in _INTRINSICS:
        return _INTRINSICS[name](value[name], resources)
    if any(key.startswith("Fn::") for key in value):
        raise LintError(f"intrinsic function {sorted(value)} is not resolved by tools/iam_lint.py")
    return {key: resolve(item, resources) for key, item in value.items()}


def _ref(target: str, resources: Mapping[str, Any]) -> str:
    if target in PSEUDO:
        return PSEUDO[target]
    kind = _resource(target, resources)["Type"]
    if kind not in _REF:
        raise LintError(f"Ref of a {kind} ({target}) is not resolved by tools/iam_lint.py")
    return _REF[kind](_physical_name(target, resources))


def _get_att(argument: Any, resources: Mapping[str, Any]) -> str:
    target, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    kind = _resource(target, resources)["Type"]
    if (kind, attribute) not in _ATTRIBUTES:
        raise LintError(f"Fn::GetAtt {attribute} of a {kind} ({target}) is not resolved by tools/iam_lint.py")
    return _ATTRIBUTES[kind, attribute](_physical_name(target, resources))


def _join(argument: Sequence[Any], resources: Mapping[str, Any]) -> str:
    separator, parts = argument
    return separator.join(str(part) for part in resolve(parts, resources))


def _sub(argument: Any, resources: Mapping[str, Any]) -> str:
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    given = {name: resolve(item, resources) for name, item in variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in given:
            return str(given[name])
        return _get_att(name, resources) if "." in name and name not in PSEUDO else _ref(name, resources)

    return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)


_INTRINSICS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
}


def _resource(logical_id: str, resources: Mapping[str, Any]) -> Mapping[str, Any]:
    if logical_id not in resources:
        raise LintError(f"the template has no resource {logical_id}")
    return resources[logical_id]


def _physical_name(logical_id: str, resources: Mapping[str, Any]) -> str:
    """The resource's explicit name when the template gives one as a string, else one made from its logical id."""
    properties = resources[logical_id].get("Properties", {})
    named = [properties[key] for key in _NAME_PROPERTIES if isinstance(properties.get(key), str)]
    return named[0] if named else logical_id.lower()


def findings(template: Mapping[str, Any]) -> list[str]:
    """parliament's findings on every policy of the template, less the reviewed SKIPPED ones, one line each."""
    resources = template.get("Resources", {})
    found = []
    for location, document in policies(template):
        policy = parliament.analyze_policy_string(json.dumps(resolve(document, resources)), filepath=location)
        found += [
            f"{location}: {finding.issue} {finding.detail}"
            for finding in policy.findings
            if (location, finding.issue) not in SKIPPED and not _newer_action(finding)
        ]
    return found


def _newer_action(finding: Any) -> bool:
    """An UNKNOWN_ACTION finding for one of NEWER_ACTIONS."""
    return finding.issue == "UNKNOWN_ACTION" and str(finding.detail).removeprefix("Unknown action ") in NEWER_ACTIONS


def main(argv: Sequence[str]) -> int:
    """Lint each template named on the command line; 0 when parliament found nothing."""
    if not argv:
        print("usage: python -m tools.iam_lint TEMPLATE.json...", file=sys.stderr)
        return 2
    found = []
    for path in argv:
        try:
            found += [f"{Path(path).name}: {line}" for line in findings(json.loads(Path(path).read_text()))]
        except LintError as error:
            found.append(f"{Path(path).name}: {error}")
    print("\n".join(found) or f"parliament: no findings in the IAM policies of {len(argv)} template(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
