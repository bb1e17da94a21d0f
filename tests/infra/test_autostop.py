"""The notebook's auto-stop program, run against a fake Jupyter API on loopback and, for AWS, the session's moto.

It runs on the notebook; here its idle rule, its prerequisite checks (boto3, Jupyter's API) and its one-line
reports are exercised as a user would meet them.
"""

import ast
import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from infra.lifecycle import SCRIPTS
from tests.support import free_port

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
REGION = "us-east-1"
PROGRAM = SCRIPTS / "autostop.py"


@pytest.fixture(scope="module")
def autostop():
    spec = importlib.util.spec_from_file_location("autostop", PROGRAM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeJupyter(BaseHTTPRequestHandler):
    """Answers /api/kernels and /api/terminals from the server's `answers` (status, body)."""

    def do_GET(self) -> None:
        status, body = self.server.answers.get(self.path, (404, {"message": "not found"}))
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        """Quiet: the tests read answers, not access logs."""


@pytest.fixture
def jupyter() -> Iterator[ThreadingHTTPServer]:
    """A fake Jupyter server on a free loopback port; set `.answers` per test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeJupyter)
    server.answers = {"/api/kernels": (200, []), "/api/terminals": (200, [])}
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def stamp(minutes_ago: int) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def kernel(state: str, minutes_ago: int) -> dict:
    return {"execution_state": state, "last_activity": stamp(minutes_ago)}


def terminal(minutes_ago: int | None) -> dict:
    return {"name": "1"} if minutes_ago is None else {"name": "1", "last_activity": stamp(minutes_ago)}


def test_idle_when_every_kernel_has_been_quiet_long_enough(autostop) -> None:
    assert autostop.is_idle([kernel("idle", 61), kernel("idle", 90)], [], NOW, HOUR, NOW - 5 * HOUR)


def test_not_idle_while_a_kernel_was_recently_active(autostop) -> None:
    assert not autostop.is_idle([kernel("idle", 61), kernel("idle", 10)], [], NOW, HOUR, NOW - 5 * HOUR)


def test_never_idle_while_a_kernel_is_busy(autostop) -> None:
    assert not autostop.is_idle([kernel("busy", 600)], [], NOW, HOUR, NOW - 50 * HOUR)


def test_without_kernels_the_clock_starts_at_boot(autostop) -> None:
    assert not autostop.is_idle([], [], NOW, HOUR, NOW - timedelta(minutes=30))
    assert autostop.is_idle([], [], NOW, HOUR, NOW - 2 * HOUR)


def test_an_open_terminal_counts_as_activity(autostop) -> None:
    quiet_kernels = [kernel("idle", 120)]
    assert not autostop.is_idle(quiet_kernels, [terminal(5)], NOW, HOUR, NOW - 5 * HOUR)
    assert not autostop.is_idle(quiet_kernels, [terminal(None)], NOW, HOUR, NOW - 5 * HOUR)
    assert autostop.is_idle(quiet_kernels, [terminal(90)], NOW, HOUR, NOW - 5 * HOUR)


def test_kernels_and_terminals_are_read_from_jupyters_api(autostop, jupyter) -> None:
    jupyter.answers = {"/api/kernels": (200, [kernel("busy", 1)]), "/api/terminals": (200, [terminal(3)])}
    assert autostop.activity(jupyter.url) == ([kernel("busy", 1)], [terminal(3)])


def run(autostop, capsys, *args: str) -> tuple[int, list[str]]:
    code = autostop.main(["--idle-minutes", "60", *args])
    return code, capsys.readouterr().err.splitlines()


def test_a_jupyter_api_that_wants_a_token_is_one_clear_line_and_a_failure(autostop, jupyter, capsys, tmp_path) -> None:
    jupyter.answers["/api/kernels"] = (403, {"message": "Forbidden"})
    code, lines = run(autostop, capsys, "--jupyter-url", jupyter.url, "--metadata", str(tmp_path / "none"))
    assert code == 1
    assert lines == [
        f"auto-stop: Jupyter's API at {jupyter.url}/api/kernels answered HTTP 403 (it may require a token); "
        "the notebook will not stop itself when idle."
    ]


def test_an_unreachable_jupyter_is_one_clear_line_and_a_failure(autostop, capsys, tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, lines = run(autostop, capsys, "--jupyter-url", url, "--metadata", str(tmp_path / "none"))
    assert code == 1
    (line,) = lines
    assert line.startswith(f"auto-stop: cannot reach Jupyter's API at {url}/api/kernels (")
    assert line.endswith("the notebook will not stop itself when idle.")


def test_preflight_says_in_one_line_when_boto3_is_missing(tmp_path) -> None:
    """`python -S` has no site-packages, like a JupyterSystemEnv without boto3."""
    args = [sys.executable, "-S", str(PROGRAM), "--preflight", "--idle-minutes", "60", "--metadata", str(tmp_path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"auto-stop: {sys.executable} cannot import boto3 (No module named 'boto3'); "
        "the notebook will not stop itself when idle."
    ]


def test_preflight_passes_where_boto3_is_importable(autostop, capsys) -> None:
    assert autostop.main(["--idle-minutes", "60", "--preflight"]) == 0
    assert capsys.readouterr().out.startswith("auto-stop: boto3 found in ")


@pytest.fixture
def notebook(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> dict:
    """A notebook instance on moto, its metadata file as SageMaker writes it, and the log group SageMaker makes."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    name = f"autostop-{tmp_path.name[-8:].strip('_')}".replace("_", "-")
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    arn = sagemaker.create_notebook_instance(
        NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn="arn:aws:iam::123456789012:role/nb"
    )["NotebookInstanceArn"]
    logs = boto3.client("logs", region_name=REGION)
    try:
        logs.create_log_group(logGroupName="/aws/sagemaker/NotebookInstances")
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceName": name, "ResourceArn": arn}), encoding="utf-8")
    return {"name": name, "metadata": str(metadata), "marker": str(tmp_path / "reported")}


def test_a_failed_check_reaches_the_notebooks_log_stream_once_per_boot(autostop, notebook, capsys) -> None:
    args = ["--jupyter-url", f"http://127.0.0.1:{free_port()}", "--metadata", notebook["metadata"]]
    args += ["--reported-marker", notebook["marker"]]
    assert run(autostop, capsys, *args)[0] == 1
    assert run(autostop, capsys, *args)[0] == 1
    logs = boto3.client("logs", region_name=REGION)
    stream = f"{notebook['name']}/autostop"
    events = logs.get_log_events(logGroupName="/aws/sagemaker/NotebookInstances", logStreamName=stream)["events"]
    assert len(events) == 1 and events[0]["message"].startswith("auto-stop: cannot reach Jupyter's API")


def test_an_idle_notebook_stops_itself(autostop, notebook, jupyter, capsys) -> None:
    jupyter.answers["/api/kernels"] = (200, [{"execution_state": "idle", "last_activity": "2020-01-01T00:00:00Z"}])
    args = ["--jupyter-url", jupyter.url, "--metadata", notebook["metadata"], "--reported-marker", notebook["marker"]]
    assert autostop.main(["--idle-minutes", "1", *args]) == 0
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    status = sagemaker.describe_notebook_instance(NotebookInstanceName=notebook["name"])["NotebookInstanceStatus"]
    assert status == "Stopped"


def test_program_parses_as_python_3_9_whatever_python_the_notebook_platform_ships() -> None:
    ast.parse(PROGRAM.read_text(encoding="utf-8"), feature_version=(3, 9))
