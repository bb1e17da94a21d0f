"""The metric definitions SageMaker scrapes from the job's log, and the same scrape for local runs.

They are training's own (training/contract/metric_line.py), the regexes of the line its loop prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from training.contract.metric_line import metric_regexes

METRICS = metric_regexes()


def final_metrics(lines: Iterable[str]) -> dict[str, float]:
    """The last value of each metric in the lines, as SageMaker reports it in FinalMetricDataList."""
    found: dict[str, float] = {}
    for line in lines:
        for name, regex in METRICS.items():
            match = re.search(regex, line)
            if match:
                found[name] = float(match[1])
    return found
