"""Fixtures every test folder may use."""
import os
import shutil
from collections.abc import Callable

import pytest


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
