"""Security and lint gates on the synthesized template: cdk-nag, checkov and cfn-lint, with every excuse reviewed.

The excused findings are listed here on purpose: a new suppression or skip fails these tests until
someone adds it to the list below, next to its reason in infra/.
"""

import json
import re

import pytest
from aws_cdk import aws_s3 as s3

from infra.app import build_app
from tests.infra.helpers import ROOT, cli_context, nag_findings, run_make

LOGS = "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker"
SHARED_WILDCARDS = {
    "Resource::<StorageData.Arn>/*",
    "Resource::<StorageArtifacts.Arn>/*",
    f"{LOGS}/TrainingJobs:*",
    "Resource::*",
}
# (construct, rule) -> the wildcard items excused there; logical-id hashes are left out for readability.
NAG_SUPPRESSIONS = {
    ("Roles/TrainingRole", "AwsSolutions-IAM5"): SHARED_WILDCARDS,
    ("Tracking/ServiceRole", "AwsSolutions-IAM5"): {"Resource::<StorageArtifacts.Arn>/mlflow/*"},
    ("Roles/NotebookRole", "AwsSolutions-IAM5"): SHARED_WILDCARDS
    | {
        f"{LOGS}/NotebookInstances:*",
        "Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/ray-on-sagemaker-*",
        "Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:notebook-instance/*",
        "Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:session/<aws:userid>-*",  # make dashboard
    },
}
HANDLER = "Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler"
CHECKOV_SKIPS = {
    ("Storage/AccessLogs/Resource", "CKV_AWS_18"),
    (HANDLER, "CKV_AWS_115"),
    (HANDLER, "CKV_AWS_116"),
    (HANDLER, "CKV_AWS_117"),
}


@pytest.mark.parametrize("level", ["error", "warning"])
def test_cdk_nag_aws_solutions_reports_nothing_unsuppressed(synthesized, level: str) -> None:
    assert nag_findings(synthesized.stack, level) == []


def test_cdk_nag_runs_on_every_synth_and_fails_it_on_a_new_finding(tmp_path) -> None:
    """The gate is live: an unlogged, unencrypted bucket added to the stack stops synthesis.

    With @aws-cdk/core:annotationsInValidationReport (a recommended flag) error annotations fail the synth.
    """
    app, stack = build_app(cli_context(), outdir=str(tmp_path))
    s3.CfnBucket(stack, "Unsafe")
    with pytest.raises(RuntimeError, match=r"AwsSolutions-S1: .*\n\s+ray-on-sagemaker/Unsafe"):
        app.synth()


def metadata_of(resources: dict, key: str) -> dict[str, object]:
    """Metadata `key` of every resource that has it, by construct path relative to the stack."""
    return {
        r["Metadata"]["aws:cdk:path"].split("/", 1)[1]: r["Metadata"][key]
        for r in resources.values()
        if key in r.get("Metadata", {})
    }


def owner(path: str) -> str:
    """The construct a suppression was put on (a role's suppression also sits on its DefaultPolicy)."""
    return path.removesuffix("/Resource").removesuffix("/DefaultPolicy")


def test_nag_suppressions_are_the_reviewed_ones_each_with_reason_and_items(resources: dict) -> None:
    found: dict[tuple[str, str], set[str]] = {}
    for path, entry in metadata_of(resources, "cdk_nag").items():
        for rule in entry["rules_to_suppress"]:
            assert len(rule["reason"]) >= 40, rule
            assert rule.get("applies_to"), f"{path} {rule['id']} must name the items it excuses"
            items = {re.sub(r"([A-Za-z]+)[0-9A-F]{8}\.", r"\1.", item) for item in rule["applies_to"]}
            found.setdefault((owner(path), rule["id"]), set()).update(items)
    assert found == NAG_SUPPRESSIONS


def test_checkov_skips_are_the_reviewed_ones_each_with_a_reason(resources: dict) -> None:
    skips = metadata_of(resources, "checkov")
    found = {(path, s["id"]) for path, entry in skips.items() for s in entry["skip"]}
    assert found == CHECKOV_SKIPS
    assert all(len(s["comment"]) >= 30 for entry in skips.values() for s in entry["skip"])


@pytest.fixture(scope="module")
def lint(synthesized, cli_env: dict[str, str], require_tool):
    """`make lint-template` (checkov, then cfn-lint) on the session's synthesized template."""
    require_tool(str(ROOT / ".venv-checkov" / "bin" / "checkov"))
    return run_make("lint-template", cli_env, f"CDK_OUT={synthesized.outdir}")


def test_checkov_and_cfn_lint_pass(lint) -> None:
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_checkov_failed_nothing_and_skipped_only_the_reviewed(lint, synthesized) -> None:
    summary = json.loads((synthesized.outdir / "checkov.json").read_text(encoding="utf-8"))["summary"]
    assert summary["failed"] == 0
    assert summary["parsing_errors"] == 0
    assert summary["skipped"] == len(CHECKOV_SKIPS)
    assert summary["passed"] >= 60
