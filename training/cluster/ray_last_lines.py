"""The last lines each host's Ray workers wrote, kept on the leader while they arrive: a lost host's logs die with it.

Ray's log monitor on every node publishes what its workers write (worker-*.out/.err, also raylet.err and
gcs_server.err) to the GCS, tagged with the node's address, the worker's pid and its actor or task
(ray/_private/log_monitor.py, check_log_files_and_publish_updates). The driver, which ray.init's
log_to_driver (on by default) subscribes to it, hands every batch of its job to each handler of
ray._private.ray_logging.global_worker_stdstream_dispatcher (ray/_private/worker.py, print_logs); printing
to the driver's stdout is one such handler, Ray's client server adds another the same way
(ray/util/client/server/logservicer.py). The handler here prints nothing, so the leader's stdout is as it was:
it keeps the last LAST_LINES lines of each node address, each cut to LINE_CHARS, so memory stays bounded.
Lines of other drivers' jobs (a program=script job's own ray.init) do not reach this driver.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

LAST_LINES = 500
LINE_CHARS = 500
_HANDLER = "ray-record-last-lines"


class LastLines:
    """Per node address, the newest lines its Ray processes published, oldest first."""

    def __init__(self) -> None:
        self._lines: defaultdict[str, deque[str]] = defaultdict(lambda: deque(maxlen=LAST_LINES))
        self._lock = threading.Lock()
        self.dropped = 0  # batches that could not be read; the record says so

    def keep(self, data: dict[str, Any]) -> None:
        """Keep one published batch; never raise, for an exception would end the driver's log thread."""
        try:
            source = f"{'err' if data.get('is_err') else 'out'} {data.get('actor_name') or data.get('task_name') or ''}"
            prefix = f"{time.strftime('%H:%M:%S', time.gmtime())} {source.rstrip()} pid={data.get('pid')}:"
            lines = [f"{prefix} {line}"[:LINE_CHARS] for line in data.get("lines") or []]
            with self._lock:
                self._lines[str(data.get("ip"))].extend(lines)
        except Exception:  # noqa: BLE001 - any odd batch is counted, never fatal
            self.dropped += 1

    def by_address(self) -> dict[str, list[str]]:
        """A copy of what is kept, by node address."""
        with self._lock:
            return {address: list(lines) for address, lines in self._lines.items()}


@contextlib.contextmanager
def keep_last_lines() -> Iterator[LastLines]:
    """Keep the lines this driver receives from every node while the block runs (after ray.init)."""
    from ray._private.ray_logging import global_worker_stdstream_dispatcher as dispatcher

    kept = LastLines()
    dispatcher.add_handler(_HANDLER, kept.keep)
    try:
        yield kept
    finally:
        dispatcher.remove_handler(_HANDLER)
