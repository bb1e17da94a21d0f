"""One host's `ray start --block` node (training/cluster/hosts.py): it stops itself when the block ends.

The GCS stops with the node's process group, so a node that first asked the GCS to drain it would wait out
Ray's drain timeout and need the SIGKILL that follows the stop grace; the job's nodes skip that drain.
"""

from __future__ import annotations

import signal
import time

import psutil
from ray._private.utils import read_ray_address

from tests.support import free_port
from training.cluster.hosts import ray_node


def _started(port: int) -> bool:
    """Whether `ray start` has finished starting: it records the cluster's address last, before it blocks.

    A node signalled earlier is still in its own start-up (waiting for its GCS), which no signal but SIGKILL ends.
    """
    return (read_ray_address() or "").endswith(f":{port}")


def test_a_started_head_node_stops_on_sigterm_without_the_sigkill_and_leaves_no_process() -> None:
    port = free_port()
    options = ["--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=1", "--include-dashboard=false"]
    with ray_node([*options, "--disable-usage-stats"], f"127.0.0.1:{port}") as node:
        while not _started(port):
            assert node.poll() is None, "ray start ended while starting"
            time.sleep(0.2)
        started = psutil.Process(node.pid).children(recursive=True)
        assert [process for process in started if process.name() == "raylet"]

    assert node.returncode != -signal.SIGKILL, "the node needed a SIGKILL to stop"
    assert not [process.pid for process in started if process.is_running()]
