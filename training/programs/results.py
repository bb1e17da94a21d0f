"""The search's results as a table (results.csv) and a picture (a heatmap of the grid)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in a training job
import matplotlib.pyplot as plt
import pandas as pd

RESULTS_FILE = "results.csv"
HEATMAP_FILE = "heatmap.png"
COLUMNS = ["epoch", "train_loss", "test_loss", "test_accuracy", "epoch_seconds", "time_total_s"]


def results_table(grid, searched: Sequence[str]) -> pd.DataFrame:
    """One row per trial: its searched values, final metrics and status (ok or the error)."""
    rows = []
    for result in grid:
        row = {name: result.config.get(name) for name in searched}
        row.update({column: (result.metrics or {}).get(column) for column in COLUMNS})
        row["status"] = "error" if result.error else "ok"
        rows.append(row)
    return pd.DataFrame(rows).sort_values(list(searched)).reset_index(drop=True)


def plot_heatmap(table: pd.DataFrame, rows: str, columns: str, path: Path) -> Path:
    """Test loss and accuracy over the two searched values, each cell annotated."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    for axis, metric, colours in zip(axes, ("test_loss", "test_accuracy"), ("viridis_r", "viridis"), strict=True):
        pivot = table.pivot_table(index=rows, columns=columns, values=metric)
        image = axis.imshow(pivot.to_numpy(dtype=float), cmap=colours, aspect="auto")
        axis.set_xticks(range(len(pivot.columns)), [f"{value:g}" for value in pivot.columns])
        axis.set_yticks(range(len(pivot.index)), [f"{value:g}" for value in pivot.index])
        axis.set_xlabel(columns)
        axis.set_ylabel(rows)
        axis.set_title(metric.replace("_", " "))
        for (y, x), value in pd.DataFrame(pivot.to_numpy()).stack().items():
            red, green, blue, _ = image.cmap(image.norm(value))
            ink = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
            axis.text(x, y, f"{value:.3f}", ha="center", va="center", color=ink, fontsize=9)
        figure.colorbar(image, ax=axis)
    figure.suptitle("Ray Tune grid search: final test metrics per trial")
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def write_results(grid, searched: Sequence[str], folder: Path) -> tuple[Path, Path]:
    """Write results.csv and heatmap.png into the output data folder; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    table = results_table(grid, searched)
    table.to_csv(folder / RESULTS_FILE, index=False)
    return folder / RESULTS_FILE, plot_heatmap(table, searched[0], searched[1], folder / HEATMAP_FILE)
