"""parliament over every IAM policy of the synthesized template (tools/iam_lint.py, run by `make lint-infra`)."""

import json

import pytest

from tests.infra.helpers import of_type
from tools.iam_lint import SKIPPED, LintError, findings, main, policies, resolve

BUCKET = {"Type": "AWS::S3::Bucket", "Properties": {}}


def _template(*statements: dict) -> dict:
    """A template with one bucket and one IAM policy made of the given statements."""
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    policy = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Roles": ["r"], "PolicyDocument": document}}
    return {"Resources": {"Data": BUCKET, "Policy": policy}}


def _objects_of(bucket: str) -> dict:
    return {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/*"]]}


def test_parliament_finds_nothing_in_the_stacks_policies(resources: dict) -> None:
    assert findings({"Resources": resources}) == []


def test_every_policy_of_the_template_is_linted_with_its_intrinsics_resolved(resources: dict) -> None:
    linted = dict(policies({"Resources": resources}))
    roles, policies_, buckets = (
        of_type(resources, kind) for kind in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::S3::BucketPolicy")
    )
    expected = (
        {f"{role}.AssumeRolePolicyDocument" for role in roles}
        | {f"{policy}.PolicyDocument" for policy in [*policies_, *buckets]}
        | {f"{key}.KeyPolicy" for key in of_type(resources, "AWS::KMS::Key")}
    )
    assert expected <= set(linted) and len(roles) >= 2 and len(buckets) >= 2
    text = json.dumps(resolve(list(linted.values()), resources))
    assert "Fn::" not in text and '"Ref"' not in text
    assert "arn:aws:s3:::" in text and "arn:aws:kms:us-east-1:123456789012:key/" in text
    assert {location for location, _ in SKIPPED} <= set(linted), "a skip for a policy the template no longer has"


def test_a_seeded_bad_policy_is_found() -> None:
    """An unknown action, a condition key that does not apply to the action, an object action on a bucket ARN."""
    template = _template(
        {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": _objects_of("Data")},
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": _objects_of("Data"),
            "Condition": {"StringEquals": {"sagemaker:InstanceTypes": "ml.m5.large"}},
        },
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": {"Fn::GetAtt": ["Data", "Arn"]}},
    )

    issues = [line.split(" ")[1] for line in findings(template)]

    assert sorted(issues) == ["RESOURCE_MISMATCH", "UNKNOWN_ACTION", "UNKNOWN_CONDITION_FOR_ACTION"], issues


def test_a_good_policy_of_the_same_shapes_passes() -> None:
    template = _template(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": _objects_of("Data")},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": {"Fn::Sub": "${Data.Arn}"}},
    )
    assert findings(template) == []


def test_the_command_exits_1_naming_each_finding_and_0_when_clean(tmp_path, capsys) -> None:
    bad, good = tmp_path / "bad.template.json", tmp_path / "good.template.json"
    bad.write_text(json.dumps(_template({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"})))
    good.write_text(json.dumps(_template({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})))

    assert main([str(bad)]) == 1
    assert "bad.template.json: Policy.PolicyDocument: UNKNOWN_ACTION" in capsys.readouterr().out
    assert main([str(good)]) == 0


@pytest.mark.parametrize(
    "resource",
    [{"Fn::ImportValue": "elsewhere"}, {"Fn::GetAtt": ["Data", "DomainName"]}, {"Ref": "Missing"}],
)
def test_what_it_cannot_resolve_fails_the_lint_rather_than_passing_unchecked(resource) -> None:
    with pytest.raises(LintError):
        findings(_template({"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}))
