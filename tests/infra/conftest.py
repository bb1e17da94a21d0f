"""Fixtures for the infrastructure tests: one in-process synth per session, the CLI environment, moto_server.

The template is synthesized once (with cdk.json's context, as the CLI would) and every assertion,
cdk-nag, checkov and cfn-lint test reads that one result.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# In-process synths start CDK's jsii runtime with `node` from PATH: make it the pinned Node 22, as make does.
os.environ["PATH"] = f"{Path(__file__).resolve().parents[2] / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
from aws_cdk.assertions import Template  # noqa: E402 (after PATH, which jsii reads when aws_cdk loads)

from tests.infra.helpers import ROOT, Synthesized, synthesize
from tests.support import free_port, serving

MOTO_START_SECONDS = 60


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


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory, require_tool) -> dict[str, str]:
    """Environment for the CDK CLI and make: private HOME and CDK_HOME, no version check, telemetry or AWS profile."""
    require_tool(str(ROOT / "node_modules" / ".bin" / "cdk"))
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        CDK_HOME=str(home / ".cdk"),
        CDK_DISABLE_VERSION_CHECK="1",
        CDK_DISABLE_CLI_TELEMETRY="true",
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        npm_config_cache=str(home / ".npm"),
    )
    return env


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory, require_tool) -> Iterator[str]:
    """A moto_server of our own on a free loopback port, stopped at the end of the session."""
    moto = str(ROOT / ".venv" / "bin" / "moto_server")
    require_tool(moto)
    port = free_port()
    url = f"http://localhost:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with serving([moto, "-H", "127.0.0.1", "-p", str(port)], f"{url}/moto-api/", log, MOTO_START_SECONDS):
        yield url
