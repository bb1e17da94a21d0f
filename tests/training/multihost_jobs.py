"""Jobs on the simulated hosts (tools/simulated_hosts.py): laid out, started, awaited and read back.

Shared by tests/training/test_multihost.py and test_script_multihost.py.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from tools.simulated_hosts import SimulatedHosts, lay_out_job

CPUS_PER_HOST = {"SM_NUM_CPUS": "1", "SM_NUM_GPUS": "0"}
# The leader's record of Ray (training/cluster/ray_record.py).
RECORD = Path("algo-1", "opt_ml", "output", "data", "ray")


def start(
    hosts, job: Path, members: list[str], started: list[str], hyperparameters: Mapping[str, str], channels, env=None
):
    """Lay out every member's /opt/ml and start the entry point on the `started` ones (env: more of the job's)."""
    processes = {}
    for host in members:
        lay_out_job(job / host, members, host, hyperparameters, channels)
        if host in started:
            processes[host] = hosts.start(host, job / host, {**CPUS_PER_HOST, **(env or {})})
    return processes


def finish(processes: Mapping[str, subprocess.Popen], timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    codes = {}
    for host, process in processes.items():
        try:
            codes[host] = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            codes[host] = None
    return codes


def log(job: Path, host: str) -> str:
    return (job / host / "entrypoint.log").read_text()


def wait_for_leader(processes: Mapping[str, subprocess.Popen], job: Path, text: str) -> None:
    """Until the leader's log shows `text` (at most 300 s; fails at once if the leader ends first)."""
    deadline = time.monotonic() + 300
    while text not in log(job, "algo-1"):
        assert processes["algo-1"].poll() is None and time.monotonic() < deadline, log(job, "algo-1")[-3000:]
        time.sleep(0.5)


def ray_logs(job: Path, host: str, pattern: str = "worker-*.out") -> str:
    """A host's own Ray log files (its private /tmp) matching pattern; by default its workers' stdout."""
    logs = (job / host / "tmp" / "ray").glob(f"session_*/logs/{pattern}")
    return "".join(path.read_text(errors="replace") for path in logs)


def recorded_nodes(job: Path) -> dict[str, str]:
    """Host -> state of every node in the leader's record of Ray (nodes.json)."""
    nodes = json.loads((job / RECORD / "nodes.json").read_text())
    return {node["host"]: node["state"] for node in nodes}


def recorded_last_lines(job: Path, host: str) -> list[str]:
    """What a host's Ray processes wrote, as the leader kept it (last_lines/<host>.log), without the prefixes."""
    path = job / RECORD / "last_lines" / f"{host}.log"
    return [line.partition(": ")[2] for line in path.read_text().splitlines()] if path.exists() else []


def nothing_left(hosts: SimulatedHosts, members: list[str]) -> None:
    """No process of any member is left once the job ended; each one left is named by its command line."""
    left = {host: list(filter(None, map(_command_line, hosts.processes(host)))) for host in members}
    assert not any(left.values()), f"processes left behind: {left}"


def _command_line(pid: int) -> str | None:
    """`pid: command line`, or None for a process that ended meanwhile."""
    try:
        return f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
