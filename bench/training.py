"""`make bench`: throughput of train.py's sizing against a plain PyTorch loop, tune's efficiency, cold start.

Every number comes from this one run on this machine, so the ratios compare like with like.
Jobs run as the image runs them (launcher.local: the entry point on a SageMaker-shaped
folder). Prints a table and writes bench/results/training-<time>.json.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bench.memory import PeakMemory
from launcher.local import command, layout
from training.demo_data import write_digits
from training.hyperparameters import Hyperparameters
from training.loop import Session, run_loop
from training.mnist import FILES, load_channel, write_idx

RESULTS = Path(__file__).resolve().parent / "results"
TILE = 8  # the digits repeated 8 times: 11,496 training images, long enough epochs to time
BATCH = {"batch-size": "128", "log-interval": "1000"}
EPOCHS = 4  # epochs 2 to 4 are timed; the first one warms up
CPUS = len(os.sched_getaffinity(0))
METRIC_LINE = re.compile(r"epoch=(\d+) train_loss=\S+ test_loss=\S+ test_accuracy=\S+ epoch_seconds=(\S+)")


def make_data(folder: Path) -> dict[str, Path]:
    """The digits, the training split tiled so that an epoch lasts long enough to time."""
    channels = write_digits(folder)
    train = load_channel(channels["training"], "training")
    images, labels = FILES["training"]
    write_idx(channels["training"] / f"{images}.gz", np.tile(train.images, (TILE, 1, 1)))
    write_idx(channels["training"] / f"{labels}.gz", np.tile(train.labels, TILE))
    return channels


def run_job(
    root: Path, hyperparameters: dict[str, str], channels: dict[str, Path], memory_interval_s: float = 0
) -> tuple[str, float, float, int]:
    """Run a job like the image does; return its output, wall seconds, seconds to the first step, peak PSS.

    Memory is sampled only when asked (memory_interval_s > 0): reading every process's smaps costs
    CPU that would otherwise slow the very job being timed.
    """
    layout(root, hyperparameters, channels)
    argv, env = command(root)
    started = time.perf_counter()
    first_step = float("nan")
    lines = []
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory(process.pid, memory_interval_s) as memory:
        for line in process.stdout:
            lines.append(line)
            if first_step != first_step and " step=1/" in line:
                first_step = time.perf_counter() - started
        process.wait()
    output = "".join(lines)
    if process.returncode != 0:
        raise RuntimeError(f"benchmark job in {root} failed:\n{output[-3000:]}")
    return output, time.perf_counter() - started, first_step, memory.peak


def steady_epoch_seconds(output: str) -> float:
    """Mean seconds of the epochs after the first (which pays for warm-up)."""
    return float(np.mean([float(seconds) for epoch, seconds in METRIC_LINE.findall(output) if int(epoch) > 1]))


def plain_loop_seconds(channels: dict[str, Path]) -> float:
    """The floor: the same loop, model, data and batch in one process with every core, no Ray."""
    hp = Hyperparameters.from_strings({**BATCH, "epochs": str(EPOCHS)})
    session = Session.single_process(torch.device("cpu"), get_checkpoint=lambda: None, report=lambda metrics, folder: None)
    train = load_channel(channels["training"], "training")
    test = load_channel(channels["testing"], "testing")
    lines = io.StringIO()
    with contextlib.redirect_stdout(lines):
        run_loop(hp, train, test, session, threads=CPUS)
    return steady_epoch_seconds(lines.getvalue())


def bench_throughput(work: Path, channels: dict[str, Path]) -> dict[str, dict[str, float]]:
    samples = len(load_channel(channels["training"], "training"))
    seconds = {}
    for name, extra in (
        ("train.py default sizing", {}),
        ("seed sizing (num_workers=1, 1 CPU)", {"num-workers": "1", "cpus-per-worker": "1"}),
    ):
        output = run_job(work / name.split()[0], {**BATCH, "epochs": str(EPOCHS), **extra}, channels)[0]
        seconds[name] = steady_epoch_seconds(output)
    # Last, so that this process's own torch threads are not around while the jobs run.
    seconds["plain PyTorch loop (all cores)"] = plain_loop_seconds(channels)
    floor = samples / seconds["plain PyTorch loop (all cores)"]
    return {
        name: {"samples_per_second": samples / value, "ratio_to_plain_loop": samples / value / floor}
        for name, value in seconds.items()
    }


def bench_tune(work: Path, channels: dict[str, Path], cold_start: float) -> dict[str, float]:
    tune = {**BATCH, "program": "tune", "epochs": "2"}
    one = run_job(work / "tune-1", {**tune, "beta-1-grid": "0.9", "beta-2-grid": "0.99"}, channels, 1.0)
    grid = run_job(work / "tune-16", tune, channels, 1.0)
    table = pd.read_csv(work / "tune-16" / "output" / "data" / "results.csv")
    ideal = table["time_total_s"].sum() / CPUS
    search_wall = grid[1] - cold_start
    return {
        "trials": len(table),
        "wall_seconds": grid[1],
        "search_wall_seconds (wall - cold start)": search_wall,
        "ideal_seconds (sum of trial times / CPUs)": ideal,
        "wall_to_ideal": search_wall / ideal,
        "peak_pss_mib_16_trials": grid[3] / 2**20,
        "peak_pss_mib_1_trial": one[3] / 2**20,
        "memory_ratio_16_to_1": grid[3] / one[3],
    }


def bench_cold_start(work: Path, channels: dict[str, Path]) -> float:
    return run_job(work / "cold", {**BATCH, "epochs": "1", "log-interval": "1"}, channels)[2]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        channels = make_data(work / "data")
        cold = bench_cold_start(work, channels)
        report = {
            "machine": {"cpus": CPUS, "torch": torch.__version__},
            "throughput": bench_throughput(work, channels),
            "tune": bench_tune(work, channels, cold),
            "cold_start_seconds_to_first_step": cold,
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"training-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nthroughput ({CPUS} CPUs, batch 128, mean of epochs 2-{EPOCHS})")
    for name, row in report["throughput"].items():
        print(f"  {name:<40} {row['samples_per_second']:>9.0f} samples/s  {row['ratio_to_plain_loop']:>5.2f}x plain")
    print("tune")
    for name, value in report["tune"].items():
        print(f"  {name:<44} {value:>9.2f}")
    print(f"cold start: {cold:.1f} s from process start to the first training step")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
