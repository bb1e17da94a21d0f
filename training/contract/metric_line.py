"""The metric line: what the training loop prints once an epoch and what SageMaker's MetricDefinitions scrape.

Both sides come from here: `format_metrics` writes the line
(`epoch=1 train_loss=0.2310 test_loss=0.1100 test_accuracy=0.9642 epoch_seconds=12.3456`) and
`metric_regexes` are the definitions the launcher sends, which also match when Ray prefixes the line
with its worker's name. SageMaker allows at most 40 definitions, each regex at most 500 characters
(AlgorithmSpecification.MetricDefinitions in the CreateTrainingJob API reference).
"""

from __future__ import annotations

from collections.abc import Mapping

SCRAPED = ("train_loss", "test_loss", "test_accuracy", "epoch_seconds")
_DECIMALS = 4


def format_metrics(metrics: Mapping[str, float]) -> str:
    """The one metric line: whole numbers as they are, the rest with four decimals."""
    return " ".join(
        f"{key}={value}" if isinstance(value, int) else f"{key}={value:.{_DECIMALS}f}" for key, value in metrics.items()
    )


def metric_regexes() -> dict[str, str]:
    """Name -> regex whose first group is the value; `\\b` keeps `loss=` of the step lines out of `train_loss`."""
    return {name: rf"\b{name}=([0-9]+\.[0-9]+)" for name in SCRAPED}
