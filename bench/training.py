"""`make bench`: throughput of train.py's sizing against a plain PyTorch loop, tune's efficiency, cold start.

Every number comes from this one run on this machine, so the ratios compare like with like.
Jobs run as the image runs them (launcher.local.run: the entry point on a SageMaker-shaped
folder). Prints a table and writes bench/results/training-<time>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bench.memory import PeakMemory
from bench.processes import cpu_seconds
from training.contract.hyperparameters import Hyperparameters
from training.contract.layout import entrypoint_command, layout
from training.contract.metric_line import read_metrics
from training.programs.demo_data import write_digits
from training.programs.loop import Session, run_loop
from training.programs.mnist import FILES, Digits, load_channel, write_idx

RESULTS = Path(__file__).resolve().parent / "results"
TILE = 8  # the digits repeated 8 times: 11,496 training images, long enough epochs to time
BATCH = {"batch-size": "128", "log-interval": "1000"}
EPOCHS = 4  # epochs 2 to 4 are timed; the first one warms up
CPUS = len(os.sched_getaffinity(0))


def make_data(folder: Path) -> dict[str, Path]:
    """The digits, the training split tiled so that an epoch lasts long enough to time."""
    channels = write_digits(folder)
    train = load_channel(channels["training"], "training")
    images, labels = FILES["training"]
    write_idx(channels["training"] / f"{images}.gz", np.tile(train.images, (TILE, 1, 1)))
    write_idx(channels["training"] / f"{labels}.gz", np.tile(train.labels, TILE))
    return channels


@dataclasses.dataclass
class JobRun:
    """What one benchmark job printed and cost."""

    output: str
    wall_seconds: float
    first_step_seconds: float
    peak_pss_bytes: int
    # (monotonic time, CPU seconds per process of the job's tree) when each metric line appeared
    cpu_at_epoch_ends: list[tuple[float, dict[int, tuple[str, float]]]]


def run_job(
    root: Path,
    hyperparameters: dict[str, str],
    channels: dict[str, Path],
    memory_interval_s: float = 0,
    cpu_at_epoch_ends: bool = False,
) -> JobRun:
    """Run a job like the image does, and measure it.

    Memory is sampled only when asked (memory_interval_s > 0), and CPU times are read at epoch ends
    only when asked: walking /proc costs CPU that would otherwise slow the very job being timed.
    """
    layout(root, hyperparameters, channels)
    argv, env = entrypoint_command(root)
    started = time.perf_counter()
    first_step = float("nan")
    lines, cpu = [], []
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory(process.pid, memory_interval_s) as memory:
        for line in process.stdout:
            lines.append(line)
            if first_step != first_step and " step=1/" in line:
                first_step = time.perf_counter() - started
            if cpu_at_epoch_ends and read_metrics(line) is not None:
                cpu.append((time.perf_counter(), cpu_seconds(process.pid)))
        process.wait()
    output = "".join(lines)
    if process.returncode != 0:
        raise RuntimeError(f"benchmark job in {root} failed:\n{output[-3000:]}")
    return JobRun(output, time.perf_counter() - started, first_step, memory.peak, cpu)


def cpus_busy(run: JobRun) -> dict[str, float]:
    """CPUs kept busy, on average from the end of epoch 1 to the last, by the training workers and by the rest.

    The rest is what Ray itself costs while training runs (controller, helper actors, raylet, GCS,
    dashboard, log monitor): a fixed cost whose share shrinks as the host has more CPUs.
    """
    (start, before), (end, after) = run.cpu_at_epoch_ends[0], run.cpu_at_epoch_ends[-1]
    busy = {"training workers": 0.0, "rest of Ray": 0.0}
    for pid, (title, seconds) in after.items():
        part = "training workers" if title.startswith("ray::RayTrainWorker") else "rest of Ray"
        busy[part] += (seconds - before.get(pid, (title, 0.0))[1]) / (end - start)
    return busy


def steady_epoch_seconds(output: str) -> float:
    """Mean seconds of the epochs after the first (which pays for warm-up)."""
    epochs = [metrics for metrics in map(read_metrics, output.splitlines()) if metrics and metrics["epoch"] > 1]
    return float(np.mean([metrics["epoch_seconds"] for metrics in epochs]))


def plain_loop_seconds(train: Digits, test: Digits) -> float:
    """The floor: the same loop, model, data and batch in one process with every core, no Ray."""
    hp = Hyperparameters.from_strings({**BATCH, "epochs": str(EPOCHS)})
    session = Session.single_process(
        torch.device("cpu"), get_checkpoint=lambda: None, report=lambda metrics, folder: None
    )
    lines = io.StringIO()
    with contextlib.redirect_stdout(lines):
        run_loop(hp, train, test, session, threads=CPUS)
    return steady_epoch_seconds(lines.getvalue())


SIZINGS = {
    "train.py default sizing": {},
    "seed sizing (num_workers=1, 1 CPU)": {"num-workers": "1", "cpus-per-worker": "1"},
}
PLAIN = "plain PyTorch loop (all cores)"


def bench_throughput(work: Path, channels: dict[str, Path], rounds: int) -> dict[str, dict]:
    """Samples/s of each sizing against the plain loop timed just before and just after it.

    This machine's speed drifts by 20 % within minutes (the plain loop alone has run 1.8 to
    2.4 s per epoch in one session), so each job is compared with the floor measured around
    it, not with one far away, and each contender is summarised by its median round.
    """
    data = load_channel(channels["training"], "training"), load_channel(channels["testing"], "testing")
    samples = len(data[0])
    seconds: dict[str, list[float]] = {name: [] for name in SIZINGS}
    ratios: dict[str, list[float]] = {name: [] for name in SIZINGS}
    busy: dict[str, list[dict[str, float]]] = {name: [] for name in SIZINGS}
    # The plain loop runs in this process between jobs, so its torch threads are idle while they run.
    plain = [plain_loop_seconds(*data)]
    for turn in range(1, rounds + 1):
        for name, extra in SIZINGS.items():
            hyperparameters = {**BATCH, "epochs": str(EPOCHS), **extra}
            job = run_job(work / f"{name.split()[0]}-{turn}", hyperparameters, channels, cpu_at_epoch_ends=True)
            seconds[name].append(steady_epoch_seconds(job.output))
            busy[name].append(cpus_busy(job))
            plain.append(plain_loop_seconds(*data))
            ratios[name].append((plain[-2] + plain[-1]) / 2 / seconds[name][-1])
        summary = ", ".join(f"{name} {values[-1]:.2f}x plain" for name, values in ratios.items())
        print(f"round {turn}/{rounds}: {summary}", flush=True)
    rows = {
        name: {
            "samples_per_second": samples / float(np.median(seconds[name])),
            "ratio_to_plain_loop": float(np.median(ratios[name])),
            "ratio_per_round": ratios[name],
            "epoch_seconds_per_round": seconds[name],
            "cpus_busy": {part: float(np.median([row[part] for row in busy[name]])) for part in busy[name][0]},
        }
        for name in SIZINGS
    }
    rows[PLAIN] = {
        "samples_per_second": samples / float(np.median(plain)),
        "ratio_to_plain_loop": 1.0,
        "epoch_seconds_per_round": plain,
    }
    return rows


def bench_tune(work: Path, channels: dict[str, Path], cold_start: float) -> dict[str, float]:
    tune = {**BATCH, "program": "tune", "epochs": "2"}
    one = run_job(work / "tune-1", {**tune, "beta-1-grid": "0.9", "beta-2-grid": "0.99"}, channels, 1.0)
    grid = run_job(work / "tune-16", tune, channels, 1.0)
    table = pd.read_csv(work / "tune-16" / "output" / "data" / "results.csv")
    ideal = table["time_total_s"].sum() / CPUS
    search_wall = grid.wall_seconds - cold_start
    return {
        "trials": len(table),
        "wall_seconds": grid.wall_seconds,
        "search_wall_seconds (wall - cold start)": search_wall,
        "ideal_seconds (sum of trial times / CPUs)": ideal,
        "wall_to_ideal": search_wall / ideal,
        "peak_pss_mib_16_trials": grid.peak_pss_bytes / 2**20,
        "peak_pss_mib_1_trial": one.peak_pss_bytes / 2**20,
        "memory_ratio_16_to_1": grid.peak_pss_bytes / one.peak_pss_bytes,
    }


def bench_cold_start(work: Path, channels: dict[str, Path]) -> float:
    return run_job(work / "cold", {**BATCH, "epochs": "1", "log-interval": "1"}, channels).first_step_seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="turns of the throughput contenders (default 3)")
    rounds = parser.parse_args(argv).rounds
    if rounds < 1:
        parser.error(f"--rounds must be at least 1, not {rounds}")
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = Path(scratch)
        channels = make_data(work / "data")
        cold = bench_cold_start(work, channels)
        report = {
            "machine": {"cpus": CPUS, "torch": torch.__version__},
            "throughput": bench_throughput(work, channels, rounds),
            "tune": bench_tune(work, channels, cold),
            "cold_start_seconds_to_first_step": cold,
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"training-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nthroughput ({CPUS} CPUs, batch 128, mean of epochs 2-{EPOCHS}, median of {rounds} rounds)")
    for name, row in report["throughput"].items():
        spread = row.get("ratio_per_round")
        print(
            f"  {name:<40} {row['samples_per_second']:>9.0f} samples/s  {row['ratio_to_plain_loop']:>5.2f}x plain"
            + (f"  (rounds {min(spread):.2f}-{max(spread):.2f}x)" if spread else "")
        )
        if "cpus_busy" in row:
            parts = ", ".join(f"{part} {cpus:.2f}" for part, cpus in row["cpus_busy"].items())
            print(f"  {'':<40} CPUs busy during steady epochs: {parts} (of {CPUS})")
    print("tune")
    for name, value in report["tune"].items():
        print(f"  {name:<44} {value:>9.2f}")
    print(f"cold start: {cold:.1f} s from process start to the first training step")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
