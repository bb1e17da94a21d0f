"""Ray's own record of a job, written by the leader when its cluster ends: what the logs cannot tell afterwards.

Under output/data/ray/ (so it reaches output.tar.gz, and `make logs` unpacks it):
  nodes.json    every node Ray knew, with the job's host name it ran on and, for a dead one, why it died
  actors.json   actors and tasks summarised by state (Ray's own summaries)
  events.json   the cluster's events, as far as Ray reports them (often none without an autoscaler)
  logs/<host>/  each live node's Ray logs through Ray's log API, the last LOG_TAIL_LINES lines of each file,
                at most LOG_FILE_BYTES per file and LOG_TOTAL_BYTES in all
  last_lines/<host>.log  the last lines the host's Ray workers wrote, as the leader received them while the
                host was alive (ray_last_lines.py): all that is left of a lost host's logs
  record.json   when it was written, how long it took, the caps, and what could not be recorded

Everything goes through Ray's state and log API (the dashboard's, which ray[default] starts on the head;
each node's logs through its dashboard agent, so a dead node's logs are gone with it).
Recording runs in a thread with a deadline: a broken or busy cluster costs at most RECORD_BUDGET_S seconds
and one warning line, never the job.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from training.cluster.network import address_of
from training.cluster.ray_last_lines import LAST_LINES, LINE_CHARS, LastLines

RECORD_FOLDER = "ray"
RECORD_BUDGET_S = 30  # SageMaker's SIGKILL follows SIGTERM by 120 s; releasing and stopping the hosts need the rest
_CALL_TIMEOUT_S = 10  # each state API call
LOG_TAIL_LINES = 1000
LOG_FILE_BYTES = 256 * 1024
LOG_TOTAL_BYTES = 8 * 1024 * 1024
_LIST_LIMIT = 10_000
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def write_record(output_data_dir: Path, hosts: Iterable[str], last_lines: LastLines) -> None:
    """Write Ray's record under output_data_dir/ray within RECORD_BUDGET_S; a failure is one warning line."""
    folder = output_data_dir / RECORD_FOLDER
    outcome: dict[str, Any] = {}

    def record() -> None:
        try:
            outcome["missing"] = _record(folder, list(hosts), last_lines)
        except Exception as error:  # noqa: BLE001 - the record must never fail the job
            outcome["error"] = error

    started = time.monotonic()
    worker = threading.Thread(target=record, name="ray-record", daemon=True)
    worker.start()
    worker.join(RECORD_BUDGET_S)
    if worker.is_alive():
        _warn(f"Ray's record in {folder} is incomplete: it took longer than {RECORD_BUDGET_S} s")
    elif "error" in outcome:
        _warn(f"Ray's record in {folder} could not be written: {type(outcome['error']).__name__}: {outcome['error']}")
    elif outcome["missing"]:
        _warn(f"Ray's record in {folder} lacks {', '.join(outcome['missing'])}: record.json says why")
    else:
        print(f"Ray's record written to {folder} in {time.monotonic() - started:.1f} s", flush=True)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _record(folder: Path, hosts: list[str], last_lines: LastLines) -> list[str]:
    """Write every part that Ray answers for; return the parts it did not."""
    import ray
    from ray.util import state

    folder.mkdir(parents=True, exist_ok=True)
    started, problems = time.monotonic(), {}
    # This cluster's own address: without it the state API looks for one among every Ray on the machine.
    ask = {"address": ray.get_runtime_context().gcs_address, "timeout": _CALL_TIMEOUT_S}
    listing = {**ask, "detail": True, "limit": _LIST_LIMIT, "raise_on_missing_output": False}
    host_of = _host_names(hosts)
    nodes = _attempt(problems, "nodes", lambda: [_plain(node) for node in state.list_nodes(**listing)]) or []
    for node in nodes:
        node["host"] = host_of(node.get("node_ip"))
    _write(folder / "nodes.json", nodes)
    _write_last_lines(folder / "last_lines", last_lines, host_of, problems)
    _write(
        folder / "actors.json",
        {
            "actors": _attempt(problems, "actors", lambda: state.summarize_actors(**ask)),
            "tasks": _attempt(problems, "tasks", lambda: state.summarize_tasks(**ask)),
        },
    )
    _write(folder / "events.json", _attempt(problems, "events", lambda: state.list_cluster_events(**listing)))
    alive = [node for node in nodes if node.get("state") == "ALIVE"]
    written = _write_logs(folder / "logs", alive, ask, problems)
    _write(
        folder / "record.json",
        {
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.monotonic() - started, 2),
            "log_caps": {"tail_lines": LOG_TAIL_LINES, "file_bytes": LOG_FILE_BYTES, "total_bytes": LOG_TOTAL_BYTES},
            "last_lines_caps": {"lines_per_host": LAST_LINES, "line_chars": LINE_CHARS},
            "log_bytes": written,
            "not_recorded": problems,
        },
    )
    return sorted(problems)


def _host_names(hosts: list[str]) -> Callable[[str | None], str | None]:
    """The job's host name of a node address; one host needs no name service: every address is that host's."""
    if len(hosts) == 1:
        return lambda _address: hosts[0]
    host_of = {address_of(host): host for host in hosts}  # a job's hosts resolve by name (training/cluster/network.py)
    return host_of.get


def _write_last_lines(
    folder: Path, last_lines: LastLines, host_of: Callable[[str | None], str | None], problems: dict[str, str]
) -> None:
    """One file per host (by address when no host has it) of the lines its Ray workers wrote while alive."""
    by_host: defaultdict[str, list[str]] = defaultdict(list)
    for address, lines in last_lines.by_address().items():
        by_host[_SAFE_NAME.sub("_", host_of(address) or address)] += lines
    folder.mkdir(exist_ok=True)
    for name, lines in by_host.items():
        (folder / f"{name}.log").write_text("".join(f"{line}\n" for line in lines))
    if last_lines.dropped:
        problems["last lines"] = f"{last_lines.dropped} published batch(es) could not be read"


def _attempt(problems: dict[str, str], what: str, call: Callable[[], Any]) -> Any:
    """The call's answer, or None with the reason kept in problems: one part missing spoils none of the others."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - Ray raises many kinds; the record says which
        problems[what] = f"{type(error).__name__}: {str(error)[:300]}"
        return None


def _write_logs(folder: Path, nodes: list[dict[str, Any]], ask: dict[str, Any], problems: dict[str, str]) -> int:
    """Each live node's log files, newest lines kept; return the bytes written (never above LOG_TOTAL_BYTES)."""
    from ray.util import state

    written = 0
    for node in nodes:
        node_id, place = node["node_id"], folder / _SAFE_NAME.sub("_", node.get("host") or node["node_id"])
        listed = functools.partial(state.list_logs, node_id=node_id, **ask)
        listing = _attempt(problems, f"logs of {place.name}", listed)
        files = {name for names in (listing or {}).values() for name in names if not name.endswith("/")}  # no folders
        for name in sorted(files):
            if written >= LOG_TOTAL_BYTES:
                problems["logs"] = f"stopped at the {LOG_TOTAL_BYTES}-byte cap"
                return written
            text = _attempt(problems, f"log {place.name}/{name}", functools.partial(_tail, node_id, name, ask)) or ""
            data = text.encode()[-min(LOG_FILE_BYTES, LOG_TOTAL_BYTES - written) :]
            target = place / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += len(data)
    return written


def _tail(node_id: str, name: str, ask: dict[str, Any]) -> str:
    """The file's last LOG_TAIL_LINES lines, through the log API of the node's agent."""
    from ray.util import state

    return "".join(state.get_log(node_id=node_id, filename=name, tail=LOG_TAIL_LINES, errors="replace", **ask))


def _plain(item: Any) -> dict[str, Any]:
    return dataclasses.asdict(item) if dataclasses.is_dataclass(item) else dict(item)


def _write(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1, sort_keys=True, default=str) + "\n")
