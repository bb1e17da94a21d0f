"""Session fixtures for tests that talk to AWS: one moto_server on loopback, one stack deployed to it.

Deploying takes minutes, so tests/infra and tests/launcher share this one deployment (registered as a
plugin in tests/conftest.py). The fixtures were tests/infra's, moved here unchanged but for their scope.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.support import free_port, serving

ROOT = Path(__file__).resolve().parents[1]
MOTO_START_SECONDS = 60
ACCOUNT = "123456789012"
REGION = "us-east-1"


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
    """A moto_server of our own on a free loopback port, stopped at the end of the session.

    Its request recorder (used by tests/launcher) writes into the server's temporary folder, not the repository.
    """
    moto = str(ROOT / ".venv" / "bin" / "moto_server")
    require_tool(moto)
    port = free_port()
    url = f"http://localhost:{port}"
    folder = tmp_path_factory.mktemp("moto")
    env = {**os.environ, "MOTO_RECORDER_FILEPATH": str(folder / "recording")}
    with serving(
        [moto, "-H", "127.0.0.1", "-p", str(port)], f"{url}/moto-api/", folder / "moto.log", MOTO_START_SECONDS, env
    ):
        yield url


@pytest.fixture(scope="session")
def aws_env(cli_env: dict[str, str], moto_endpoint: str) -> dict[str, str]:
    return cli_env_for_moto(cli_env, moto_endpoint, REGION)


@pytest.fixture(scope="session")
def deployed(aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Bootstrap and deploy once; return the stack's outputs as written by `make deploy`."""
    from tests.infra.helpers import run_make  # imports the CDK app; only sessions that deploy pay for it

    work = tmp_path_factory.mktemp("deploy")
    outputs_file = work / "outputs.json"
    where = [f"CDK_OUT={work / 'cdk.out'}", f"CDK_OUTPUTS={outputs_file}"]
    bootstrap = run_make("bootstrap", aws_env, *where, f"CDK_ARGS=aws://{ACCOUNT}/{REGION}")
    assert bootstrap.returncode == 0, bootstrap.stdout + bootstrap.stderr
    deploy = run_make("deploy", aws_env, *where, moto_args("ray-on-sagemaker-training"))
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    outputs = json.loads(outputs_file.read_text(encoding="utf-8"))
    return outputs["ray-on-sagemaker"]


@pytest.fixture(scope="session")
def aws(aws_env: dict[str, str]):
    """boto3 clients bound to moto_server."""

    def client(service: str):
        return boto3.client(
            service,
            endpoint_url=aws_env["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


def cli_env_for_moto(cli_env: dict[str, str], endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """The CLI environment pointed at a moto_server, with the dummy credentials moto accepts."""
    return {
        **cli_env,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


def moto_args(repository_name: str, **settings: str) -> str:
    """CDK_ARGS for a deploy on moto: the three settings whose defaults moto cannot deploy, then any others.

    moto cannot create an ECR repository without an explicit name (the name it generates fails its own
    validation), it cannot run the Lambda behind restrictDefaultSecurityGroup (its Lambda needs Docker), and
    it has no AWS::SageMaker::MlflowApp (moto 5.2.5 skips unknown types, so the App's Arn output could not
    resolve): the template tests cover mlflow on.
    """
    context = {
        "repositoryName": repository_name,
        "restrictDefaultSecurityGroup": "false",
        "mlflow": "false",
        **settings,
    }
    return "CDK_ARGS=" + " ".join(f"-c {key}={value}" for key, value in context.items())
