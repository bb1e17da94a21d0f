"""The metric line: what the training loop prints once an epoch and what SageMaker's MetricDefinitions scrape.

Both sides come from here: `format_metrics` writes the line
(`epoch=1 train_loss=0.2310 test_loss=0.1100 test_accuracy=0.9642 epoch_seconds=12.3456`),
`metric_regexes` are the definitions the launcher sends, which also match when Ray prefixes the line
with its worker's name, and `read_metrics` reads a line back with those same regexes (the benchmarks).
SageMaker allows at most 40 definitions, each regex at most 500 characters
(AlgorithmSpecification.MetricDefinitions in the CreateTrainingJob API reference).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The numbers of the metric line besides the epoch: SageMaker scrapes each, MLflow logs each per epoch.
EPOCH_METRICS = ("train_loss", "test_loss", "test_accuracy", "epoch_seconds")
_EPOCH = re.compile(r"\bepoch=([0-9]+) ")
_DECIMALS = 4


def format_metrics(metrics: Mapping[str, float]) -> str:
    """The one metric line: whole numbers as they are, the rest with four decimals."""
    return " ".join(
        f"{key}={value}" if isinstance(value, int) else f"{key}={value:.{_DECIMALS}f}" for key, value in metrics.items()
    )


def metric_regexes() -> dict[str, str]:
    """Name -> regex whose first group is the value; `\\b` keeps `loss=` of the step lines out of `train_loss`."""
    return {name: rf"\b{name}=([0-9]+\.[0-9]+)" for name in EPOCH_METRICS}


def read_metrics(line: str) -> dict[str, float] | None:
    """The epoch and every metric of a metric line; None for any other line (a progress line, a log line)."""
    epoch = _EPOCH.search(line)
    values = {name: float(found[1]) for name, regex in metric_regexes().items() if (found := re.search(regex, line))}
    if epoch is None or len(values) < len(EPOCH_METRICS):
        return None
    return {"epoch": int(epoch[1]), **values}
