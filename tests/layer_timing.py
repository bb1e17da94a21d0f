"""The time `make test` spends per layer (tests/<layer>/...), printed at the end of every run.

Setup, call and teardown all count, so a module's shared fixture (a moto stack, a Ray cluster, the
simulated hosts) is charged to the layer that asked for it. pytest's own `--durations` (in
pyproject.toml's addopts) lists the slowest steps beside it.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

import pytest


class LayerTimes:
    """Seconds and tests per layer, summed from each test's reports."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.tests: collections.Counter[str] = collections.Counter()
        self.started = time.monotonic()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        layer = layer_of(report.nodeid)
        self.seconds[layer] += report.duration
        self.tests[layer] += report.when == "call"

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.seconds:
            return
        terminalreporter.section("time per layer (setup + call + teardown)")
        for layer, seconds in self.seconds.most_common():
            terminalreporter.write_line(f"  {layer:<10} {seconds / 60:6.1f} min  {self.tests[layer]:4d} tests")
        wall = (time.monotonic() - self.started) / 60
        terminalreporter.write_line(f"  {'all (wall)':<10} {wall:6.1f} min  {sum(self.tests.values()):4d} tests")


def layer_of(nodeid: str) -> str:
    """`tests/infra/test_x.py::test` -> infra; a test file directly under tests/ -> tests."""
    parts = Path(nodeid.split("::", 1)[0]).parts
    return parts[1] if len(parts) > 2 else parts[0]


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(LayerTimes(), "layer-timing")
