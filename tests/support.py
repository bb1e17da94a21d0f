"""Helpers for tests that start a server of their own on loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    """Poll url until the server answers, failing early if it exits; the loop ends on an answer, not a sleep."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args[0]} did not answer {url} within {timeout_s} s")


def stop_process_group(process: subprocess.Popen, timeout_s: float = 60) -> None:
    """SIGTERM to the process group a server was started in (start_new_session), SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def serving(
    argv: Sequence[str], health_url: str, log: Path, timeout_s: float = 60, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Run a server until the block ends: started, polled until it answers, then stopped and reaped."""
    with log.open("wb") as stream:
        process = subprocess.Popen(list(argv), stdout=stream, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until_answering(health_url, process, timeout_s)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
