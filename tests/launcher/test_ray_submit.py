"""`make ray-submit` against a real Ray head on loopback, started here with token auth (Ray's default)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from launcher.errors import LauncherError
from launcher.ray_clusters.program import env_vars, pins
from launcher.ray_clusters.ray_jobs import auth_headers, job_request
from tests.support import free_port, stop_process_group
from training.cluster.hosts import NO_DRAIN

REPOSITORY = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PASSING = """
import argparse, ray
parser = argparse.ArgumentParser()
parser.add_argument("--greeting")
args = parser.parse_args()
ray.init()
print(f"{args.greeting} from a cluster of", int(ray.cluster_resources()["CPU"]), "CPU")
"""
FAILING = """
import sys
print("about to fail", file=sys.stderr)
sys.exit(3)
"""


def _wait_for_jobs_api(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    """Poll the dashboard, with the token the head wrote, until it answers 200 (a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "ray start exited early"
        try:
            request = urllib.request.Request(url, headers=auth_headers())
            with urllib.request.urlopen(request, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"the Ray dashboard did not answer {url} within {timeout_s} s")


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory) -> Iterator[str]:
    """A one-CPU Ray head (`ray start --head --block`), its own session, stopped by its process group."""
    temp = tmp_path_factory.mktemp("head")
    dashboard = free_port()
    # A job's `python` is this one; NO_DRAIN: the head stops at once with its process group, not 30 s later.
    env = {**os.environ, **NO_DRAIN, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    argv = [str(BIN / "ray"), "start", "--head", "--block", "--port", str(free_port()), "--num-cpus", "1"]
    argv += ["--dashboard-host", "127.0.0.1", "--dashboard-port", str(dashboard), "--temp-dir", str(temp)]
    # Ports of their own, not Ray's fixed defaults (52365, 10001) that another Ray on the machine may hold.
    argv += ["--dashboard-agent-listen-port", str(free_port()), "--ray-client-server-port", str(free_port())]
    with (temp / "head.log").open("wb") as log:
        head = subprocess.Popen(
            argv + ["--disable-usage-stats"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        address = f"http://127.0.0.1:{dashboard}"
        _wait_for_jobs_api(f"{address}/api/version", head, timeout_s=240)
        yield address
    finally:
        stop_process_group(head)


def _make(*variables: str, timeout_s: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "ray-submit", "PINS=0", *variables],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def test_a_passing_script_streams_its_logs_and_exits_0(ray_head, tmp_path):
    (tmp_path / "hello.py").write_text(PASSING)
    done = _make(f"RAY_ADDRESS={ray_head}", f"SCRIPT={tmp_path / 'hello.py'}", "ARGS=--greeting hi")
    assert done.returncode == 0, done.stderr
    assert "hi from a cluster of 1 CPU" in done.stdout
    assert "succeeded" in done.stdout


def test_a_failing_script_returns_its_exit_status(ray_head, tmp_path):
    (tmp_path / "fail.py").write_text(FAILING)
    done = _make(f"RAY_ADDRESS={ray_head}", f"SCRIPT={tmp_path / 'fail.py'}")
    assert done.returncode == 2 and "ray-submit] Error 3" in done.stderr  # make reports the launcher's status
    assert "about to fail" in done.stdout  # the job's logs, followed
    assert "failed (exit status 3)" in done.stderr


def test_train_runs_the_image_contract_on_the_cluster(ray_head, tmp_path):
    done = _make(f"RAY_ADDRESS={ray_head}", f"RAY_ENV=SM_BASE_DIR={tmp_path} SM_NUM_CPUS=1", "ARGS=--epochs 2")
    assert "ray-submit] Error 1" in done.stderr
    assert "running train on algo-1" in done.stdout
    assert (
        tmp_path / "output" / "failure"
    ).read_text() == "the 'training' data channel is missing (channels given: none)\n"


def test_an_unreachable_cluster_is_one_sentence(tmp_path):
    (tmp_path / "hello.py").write_text(PASSING)
    done = _make(f"RAY_ADDRESS=http://127.0.0.1:{free_port()}", f"SCRIPT={tmp_path / 'hello.py'}")
    assert "ray-submit] Error 1" in done.stderr
    assert "ray-submit: the Ray cluster at http://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_runtime_env_pins_the_image_but_not_ray_and_adds_the_scripts_requirements(tmp_path):
    (tmp_path / "job.py").write_text("")
    (tmp_path / "requirements.txt").write_text("# extra\nrich==13.0.0  # pretty\n\n")
    with job_request(tmp_path / "job.py", "train", ["--x", "1 2"], {"A": "b"}, with_pins=True) as request:
        assert request["entrypoint"] == "python job.py --x '1 2'"
        runtime = request["runtime_env"]
    assert runtime["working_dir"] == str(tmp_path)
    assert runtime["pip"] == [*pins(), "rich==13.0.0"]
    assert any(pin.startswith("torch==") for pin in pins()) and not any(pin.startswith("ray") for pin in pins())
    assert runtime["env_vars"] == {"A": "b"}


def test_the_token_comes_from_where_ray_keeps_it(tmp_path):
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("from-home\n")
    (tmp_path / "other").write_text("from-path")
    assert auth_headers({"HOME": str(tmp_path)}) == {"Authorization": "Bearer from-home"}
    assert (
        auth_headers({"HOME": str(tmp_path), "RAY_AUTH_TOKEN_PATH": str(tmp_path / "other")})["Authorization"]
        == "Bearer from-path"
    )
    assert auth_headers({"HOME": str(tmp_path), "RAY_AUTH_TOKEN": "direct"}) == {"Authorization": "Bearer direct"}
    assert auth_headers({"HOME": str(tmp_path / "nowhere")}) == {}


def test_a_malformed_env_var_is_refused():
    with pytest.raises(LauncherError, match="environment variable must be NAME=VALUE, got 'oops'"):
        env_vars(["A=1", "oops"])
