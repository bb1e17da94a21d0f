"""Synthesis as the CLI does it, small queries over the template, and the way tests run a Makefile verb."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match, Template

from infra.app import build_app
from infra.stack import RayOnSageMakerStack

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Synthesized:
    """One synthesized app: the stack object (for annotations), its template and the cloud assembly folder."""

    stack: RayOnSageMakerStack
    template: Template
    outdir: Path


def cli_context() -> dict:
    """The context the CLI gives the app (cdk.json flags, construct paths), so in-process synth matches `make synth`."""
    return {
        **json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"],
        "aws:cdk:enable-path-metadata": True,
    }


def synthesize(outdir: Path, **settings: str) -> Synthesized:
    """Synthesize the app with extra context (setting overrides) into `outdir`."""
    app, stack = build_app({**cli_context(), **settings}, outdir=str(outdir))
    app.synth()
    return Synthesized(stack=stack, template=Template.from_stack(stack), outdir=outdir)


def of_type(resources: dict, resource_type: str) -> dict:
    """Resources of one CloudFormation type, by logical id."""
    return {k: v for k, v in resources.items() if v["Type"] == resource_type}


def only(resources: dict, resource_type: str) -> dict:
    """The single resource of a type (fails if there are none or several)."""
    (resource,) = of_type(resources, resource_type).values()
    return resource


def logical_id(resources: dict, resource_type: str, path_part: str) -> str:
    """Logical id of the resource of a type whose construct path contains `path_part`."""
    (found,) = [k for k, v in of_type(resources, resource_type).items() if path_part in v["Metadata"]["aws:cdk:path"]]
    return found


def role_statements(resources: dict, role_name: str) -> list[dict]:
    """Every statement of the inline policies attached to the role whose construct id is `role_name`."""
    role = logical_id(resources, "AWS::IAM::Role", f"/{role_name}/")
    policies = [p for p in of_type(resources, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]]
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def run_make(target: str, env: dict[str, str], *variables: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a Makefile verb exactly as a user would, output captured."""
    return subprocess.run(
        ["make", "--no-print-directory", target, *variables],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def nag_findings(stack: Stack, level: str) -> list[str]:
    """Unsuppressed cdk-nag AwsSolutions findings of one level ("error" or "warning") on a synthesized stack."""
    annotations = Annotations.from_stack(stack)
    find = annotations.find_error if level == "error" else annotations.find_warning
    return [f"{m.id}: {m.entry.data}" for m in find("*", Match.string_like_regexp("AwsSolutions-"))]
