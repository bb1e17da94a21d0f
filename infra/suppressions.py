"""One place to excuse a finding, next to the resource it concerns, with the reason written down.

cdk-nag reads its suppressions from construct metadata and checkov reads `checkov: skip` from the
resource's template metadata; both take an id and a reason so a reviewer sees why, not just what.
"""

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import CfnResource, Stack
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct


@dataclass(frozen=True)
class Finding:
    """A rule excused on one resource: cdk-nag rule id or checkov check id, a reason, and the items it covers."""

    rule: str
    reason: str
    applies_to: list[str] = field(default_factory=list)


def suppress_nag(construct: IConstruct, *findings: Finding) -> None:
    """Excuse cdk-nag rules on this construct only (children included, e.g. a role's default policy)."""
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=f.rule, reason=f.reason, applies_to=f.applies_to or None) for f in findings],
        apply_to_children=True,
    )


def skip_checkov(resource: CfnResource, *findings: Finding) -> None:
    """Excuse checkov checks on this template resource."""
    resource.add_metadata("checkov", {"skip": [{"id": f.rule, "comment": f.reason} for f in findings]})


def nag_item(stack: Stack, value: str) -> str:
    """Name a (token) resource the way cdk-nag's `appliesTo` does, e.g. `Resource::<DataBucketE3889A50.Arn>/*`.

    Suppressions are built from the very ARN the policy uses, so they excuse that item and nothing else.
    """
    return f"Resource::{_render(stack.resolve(value))}"


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    separator, parts = value["Fn::Join"]
    return separator.join(_render(part) for part in parts)
