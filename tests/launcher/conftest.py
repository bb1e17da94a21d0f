"""Fixtures for the launcher tests: the stack deployed to moto (tests/aws_fixtures.py) as `make` sees it,
and moto's request recorder, which shows what reached the service."""

import base64
import json
import urllib.request
from collections.abc import Callable

import boto3
import pytest

from infra import stack_names
from tests.aws_fixtures import REGION
from tests.infra.helpers import run_make
from tests.launcher.helpers import IMAGE_TAG


@pytest.fixture(scope="session")
def launcher_env(aws_env: dict[str, str], deployed: dict[str, str], tmp_path_factory) -> dict[str, str]:
    """make's environment: the outputs file `make deploy` wrote, the image `make push-image` recorded, tmp results."""
    work = tmp_path_factory.mktemp("launcher")
    outputs = work / "cdk-outputs.json"
    outputs.write_text(json.dumps({"ray-on-sagemaker": deployed}))
    image = work / "image-uri.txt"
    image.write_text(f"{deployed[stack_names.REPOSITORY_URI]}:{IMAGE_TAG}\n")
    return {
        **aws_env,
        "AWS_EC2_METADATA_DISABLED": "true",
        "STACK_OUTPUTS": str(outputs),
        "IMAGE_URI_FILE": str(image),
        "JOBS_DIR": str(work / "jobs"),
    }


@pytest.fixture(scope="session")
def data(launcher_env: dict[str, str]) -> str:
    """`make data` once for the session: the digits into the data bucket; its output."""
    result = run_make("data", launcher_env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def session(aws_env: dict[str, str]) -> boto3.Session:
    """A boto3 session bound to moto_server, for in-process calls of launcher.api."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


@pytest.fixture
def moto_env(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process calls reach moto as make's subprocesses do."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env["AWS_ENDPOINT_URL"])


@pytest.fixture(scope="session")
def record(moto_endpoint: str) -> Callable[[Callable[[], object]], list[dict]]:
    """Run a callable while moto records; return the requests that reached it (bodies decoded)."""

    def call(api: str) -> bytes:
        method = "GET" if api == "download-recording" else "POST"
        with urllib.request.urlopen(
            urllib.request.Request(f"{moto_endpoint}/moto-api/recorder/{api}", method=method)
        ) as answer:
            return answer.read()

    def recording(action: Callable[[], object]) -> list[dict]:
        call("reset-recording")
        call("start-recording")
        try:
            action()
        finally:
            call("stop-recording")
        requests = [json.loads(line) for line in call("download-recording").decode().splitlines() if line.strip()]
        for request in requests:
            if request.get("body_encoded") and request.get("body"):
                request["body"] = base64.b64decode(request["body"]).decode(errors="replace")  # uploads are binary
        return requests

    return recording
