"""Fixtures every test folder may use."""

import os
import shutil
import tempfile
from collections.abc import Callable

import pytest

# Session fixtures for tests that talk to AWS through moto (one deployed stack for tests/infra and tests/launcher).
pytest_plugins = ["tests.aws_fixtures", "tests.layer_timing"]

_SCRATCH = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    """Return a checker that gives a program's path, or skips the test when it is missing.

    On CI (`CI` set, as `.ci/run` does) a missing program fails the test instead, so a
    forgotten install step can never turn into a silently green run.
    """

    def check(name: str) -> str:
        path = shutil.which(name)
        if path:
            return path
        message = f"{name} is not installed (make system-deps installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    return check


def pytest_configure(config: pytest.Config) -> None:
    """Keep every test's Ray and tool state out of the real home and the shared /tmp/ray.

    Ray writes an auth token under ~/.ray and joins any cluster recorded in /tmp/ray; a
    private HOME and RAY_TMPDIR (short, for Ray's socket paths) make each run self-contained.
    """
    scratch = tempfile.mkdtemp(prefix="rt")
    config.stash[_SCRATCH] = scratch
    os.environ.update(
        {
            "HOME": os.path.join(scratch, "home"),
            "RAY_TMPDIR": os.path.join(scratch, "ray"),
            "RAY_USAGE_STATS_ENABLED": "0",
        }
    )
    for folder in ("home", "ray"):
        os.makedirs(os.path.join(scratch, folder))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash.get(_SCRATCH, ""), ignore_errors=True)
