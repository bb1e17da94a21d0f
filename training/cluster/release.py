"""How the leader tells the other hosts that its program has ended, so that they can tell it from the leader dying.

The leader writes an end marker into the Ray cluster's internal key-value store, which the GCS on the leader
holds, and keeps the cluster up until every other host has acknowledged it (at most `RELEASE_WAIT_S`). Every
other host reads that store about once a second from its entry point, straight from the GCS as `ray status`
does (`ray._raylet.GcsClient`), not through its own Ray node: a host whose node can no longer run a task still
hears the end and exits 0. A host that stops reaching the GCS before it saw the marker knows that the leader
vanished mid-job, and says so. The sagemaker-training toolkit makes the same distinction for MPI jobs with a
status file the master writes onto each worker before it exits (sagemaker_training/mpi.py, `_write_status_file`).
"""

from __future__ import annotations

import contextlib
import time

import ray
from ray._raylet import GcsClient
from ray.experimental import internal_kv

from training.cluster.network import address_of
from training.contract.environment import JobEnvironment

RELEASE_WAIT_S = 30  # the most the leader keeps the cluster up for hosts that have not acknowledged the end
POLL_S = 1.0  # how often a host looks for the marker; also the timeout of one look
_LOST_GRACE_S = 3 * POLL_S  # how long the leader waits for a host whose Ray node is already dead
_NAMESPACE = b"ray-sagemaker"
_ENDED = b"leader-program-ended"


def _acknowledgement(host: str) -> bytes:
    return b"left/" + host.encode()


def announce_end(env: JobEnvironment) -> None:
    """On the leader, at the end of its program (success, failure or SIGTERM): tell the others, wait for them."""
    internal_kv._internal_kv_put(_ENDED, b"1", namespace=_NAMESPACE)
    waiting = [host for host in env.hosts if host != env.current_host]
    started = time.monotonic()
    while waiting := [host for host in waiting if not _acknowledged(host)]:
        waited = time.monotonic() - started
        if waited > RELEASE_WAIT_S or (waited > _LOST_GRACE_S and not _any_alive(waiting)):
            print(f"host(s) {', '.join(waiting)} did not acknowledge the end of the program", flush=True)
            return
        time.sleep(POLL_S / 5)


def _acknowledged(host: str) -> bool:
    return internal_kv._internal_kv_exists(_acknowledgement(host), namespace=_NAMESPACE)


def _any_alive(hosts: list[str]) -> bool:
    """Whether a Ray node of one of these hosts is still alive.

    A host whose node is dead has most likely lost its entry point too; one that has not (its raylet stalled)
    still gets `_LOST_GRACE_S`, three of its looks, to hear the end.
    """
    addresses = {address_of(host) for host in hosts}
    return any(node["Alive"] and node["NodeManagerAddress"] in addresses for node in ray.nodes())


class EndWatch:
    """On a host other than the leader: whether the leader has announced the end, read from its GCS."""

    def __init__(self, env: JobEnvironment, cluster: str) -> None:
        self._host = env.current_host
        self._cluster = cluster
        self._client: GcsClient | None = None  # connects on first use: the constructor waits for the GCS

    def ended(self) -> bool | None:
        """True once the leader announced the end (and acknowledge it), False before, None when the GCS is silent."""
        try:
            self._client = self._client or GcsClient(address=self._cluster)
            if not self._client.internal_kv_exists(_ENDED, _NAMESPACE, timeout=POLL_S):
                return False
            with contextlib.suppress(ray.exceptions.RpcError):
                self._client.internal_kv_put(_acknowledgement(self._host), b"1", True, _NAMESPACE, timeout=POLL_S)
            return True
        except ray.exceptions.RpcError:
            return None
