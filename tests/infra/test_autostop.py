"""The idle rule of the notebook's auto-stop program (it runs on the notebook; here only its logic is tested)."""

import ast
import importlib.util
from datetime import UTC, datetime, timedelta

import pytest

from infra.lifecycle import SCRIPTS

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def autostop():
    spec = importlib.util.spec_from_file_location("autostop", SCRIPTS / "autostop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kernel(state: str, minutes_ago: int) -> dict:
    last = (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return {"execution_state": state, "last_activity": last}


def test_idle_when_every_kernel_has_been_quiet_long_enough(autostop) -> None:
    assert autostop.is_idle([kernel("idle", 61), kernel("idle", 90)], NOW, HOUR, NOW - 5 * HOUR)


def test_not_idle_while_a_kernel_was_recently_active(autostop) -> None:
    assert not autostop.is_idle([kernel("idle", 61), kernel("idle", 10)], NOW, HOUR, NOW - 5 * HOUR)


def test_never_idle_while_a_kernel_is_busy(autostop) -> None:
    assert not autostop.is_idle([kernel("busy", 600)], NOW, HOUR, NOW - 50 * HOUR)


def test_without_kernels_the_clock_starts_at_boot(autostop) -> None:
    assert not autostop.is_idle([], NOW, HOUR, NOW - timedelta(minutes=30))
    assert autostop.is_idle([], NOW, HOUR, NOW - 2 * HOUR)


def test_program_parses_as_python_3_9_whatever_python_the_notebook_platform_ships() -> None:
    ast.parse((SCRIPTS / "autostop.py").read_text(encoding="utf-8"), feature_version=(3, 9))
