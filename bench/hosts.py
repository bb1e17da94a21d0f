"""`make bench` (several hosts): how long a job's hosts take to form one Ray cluster, and what crossing hosts costs.

The hosts are simulated as the tests simulate them (tools/simulated_hosts.py: network
namespaces on a bridge, own hostname, /opt/ml and /tmp, a moto S3 for the storage path), each
running the entry point on the SageMaker contract. Needs root and iproute2; says so and stops otherwise.
Prints a table and writes bench/results/hosts-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.training import BATCH, EPOCHS, RESULTS, make_data, steady_epoch_seconds
from tools.simulated_hosts import BUCKET, SimulatedHosts, lay_out_job, simulated_hosts
from training.programs.mnist import load_channel

JOINED = re.compile(r"all (\d+) hosts joined the Ray cluster in ([0-9.]+) s")
# The cost of crossing hosts: the same two single-CPU workers on one host and on two, and the default plan.
SHAPES = {
    "1 host x 2 CPUs, default plan (1 worker x 2 CPUs)": (1, 2, {}),
    "1 host x 2 CPUs, 2 workers x 1 CPU": (1, 2, {"num-workers": "2", "cpus-per-worker": "1"}),
    "2 hosts x 1 CPU, default plan (2 workers x 1 CPU)": (2, 1, {}),
}


def run_job(hosts: SimulatedHosts, job: Path, count: int, cpus: int, hyperparameters: dict, channels) -> dict:
    """Start the job on `count` hosts at once; return the leader's output and when the hosts had joined."""
    members = hosts.names[:count]
    storage = {"storage-path": f"s3://{BUCKET}/{job.name}"}
    started = time.monotonic()
    processes = {}
    for host in members:
        lay_out_job(job / host, members, host, {**hyperparameters, **storage}, channels)
        processes[host] = hosts.start(host, job / host, {"SM_NUM_CPUS": str(cpus), "SM_NUM_GPUS": "0"})
    joined_after = None
    log = job / members[0] / "entrypoint.log"
    while processes[members[0]].poll() is None:
        if joined_after is None and JOINED.search(log.read_text()):
            joined_after = time.monotonic() - started
        time.sleep(0.2)
    codes = {host: process.wait(timeout=120) for host, process in processes.items()}
    output = log.read_text()
    if any(codes.values()):
        raise RuntimeError(f"benchmark job {job.name} failed {codes}:\n{output[-3000:]}")
    found = JOINED.search(output)
    waited = float(found[2]) if found else 0.0
    return {"output": output, "seconds_to_all_joined": joined_after, "leader_wait_seconds": waited}


def bench_formation(hosts: SimulatedHosts, work: Path, channels, rounds: int) -> dict[str, dict]:
    """Seconds from starting every host's entry point to the leader seeing all of them in its cluster."""
    rows = {}
    for count in (2, 3):
        runs = [
            run_job(hosts, work / f"form{count}-{turn}", count, 1, {**BATCH, "epochs": "1"}, channels)
            for turn in range(rounds)
        ]
        rows[f"{count} hosts"] = {
            "seconds_from_start_median": float(np.median([run["seconds_to_all_joined"] for run in runs])),
            "seconds_from_start_per_round": [run["seconds_to_all_joined"] for run in runs],
            "leader_wait_after_head_up_median": float(np.median([run["leader_wait_seconds"] for run in runs])),
        }
    return rows


def bench_crossing(hosts: SimulatedHosts, work: Path, channels, rounds: int) -> dict[str, dict]:
    """Samples/s of the same job on one host with two CPUs and on two hosts with one CPU each."""
    samples = len(load_channel(channels["training"], "training"))
    seconds: dict[str, list[float]] = {name: [] for name in SHAPES}
    for turn in range(rounds):
        for index, (name, (count, cpus, extra)) in enumerate(SHAPES.items()):
            job = run_job(
                hosts, work / f"shape{index}-{turn}", count, cpus, {**BATCH, "epochs": str(EPOCHS), **extra}, channels
            )
            seconds[name].append(steady_epoch_seconds(job["output"]))
    return {
        name: {"samples_per_second": samples / float(np.median(values)), "epoch_seconds_per_round": values}
        for name, values in seconds.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hosts", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each measurement (default 2)")
    rounds = max(1, parser.parse_args(argv).rounds)
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("bench.hosts: simulating hosts needs root and iproute2 (make system-deps); skipped")
        return
    with tempfile.TemporaryDirectory(prefix="bench-hosts-") as scratch:
        work = Path(scratch)
        channels = make_data(work / "data")
        with simulated_hosts(3, work) as hosts:
            report = {
                "cluster_formation": bench_formation(hosts, work, channels, rounds),
                "crossing_hosts": bench_crossing(hosts, work, channels, rounds),
            }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"hosts-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\ncluster formation (entry points started at once; median of {rounds})")
    for name, row in report["cluster_formation"].items():
        print(
            f"  {name:<10} all joined {row['seconds_from_start_median']:>6.1f} s after start "
            f"({row['leader_wait_after_head_up_median']:.1f} s after the leader's head was up)"
        )
    print(f"throughput (batch 128, mean of epochs 2-{EPOCHS}, median of {rounds})")
    for name, row in report["crossing_hosts"].items():
        print(f"  {name:<52} {row['samples_per_second']:>7.0f} samples/s")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
