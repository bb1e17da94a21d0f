"""Fixtures for the infrastructure tests: one in-process synth per session (AWS ones: tests/aws_fixtures.py).

The template is synthesized once (with cdk.json's context, as the CLI would) and every assertion,
cdk-nag, checkov and cfn-lint test reads that one result.
"""

import os
from pathlib import Path

import pytest

# In-process synths start CDK's jsii runtime with `node` from PATH: make it the pinned Node 22, as make does.
os.environ["PATH"] = f"{Path(__file__).resolve().parents[2] / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
from aws_cdk.assertions import Template

from tests.infra.helpers import Synthesized, synthesize


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The default stack, synthesized once for the whole session."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def template(synthesized: Synthesized) -> Template:
    return synthesized.template


@pytest.fixture(scope="session")
def resources(template: Template) -> dict:
    """Template resources by logical id."""
    return template.to_json()["Resources"]
