"""The metric definitions SageMaker scrapes from the job's log, and the same scrape for local runs.

They match the one line format training/programs/loop.py prints once an epoch
(`epoch=1 train_loss=0.2310 test_loss=0.1100 test_accuracy=0.9642 epoch_seconds=12.3456`), also when Ray
prefixes the line with its worker's name. SageMaker allows at most 40 definitions, each regex at most
500 characters (AlgorithmSpecification.MetricDefinitions in the CreateTrainingJob API reference).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# Name -> regex whose first group is the value; `\b` keeps `loss=` of the step lines out of `train_loss`.
METRICS = {
    name: rf"\b{name}=([0-9]+\.[0-9]+)" for name in ("train_loss", "test_loss", "test_accuracy", "epoch_seconds")
}


def final_metrics(lines: Iterable[str]) -> dict[str, float]:
    """The last value of each metric in the lines, as SageMaker reports it in FinalMetricDataList."""
    found: dict[str, float] = {}
    for line in lines:
        for name, regex in METRICS.items():
            match = re.search(regex, line)
            if match:
                found[name] = float(match[1])
    return found
