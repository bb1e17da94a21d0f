"""How the hosts of one SageMaker job become one Ray cluster, and how they leave it together.

The leader runs a Ray head on a fixed port with exactly its own CPUs and GPUs and waits for every
other host to join (at most hosts-timeout seconds). The others resolve the leader by name, join, and
stay until the leader announces the end of its program (training/cluster/release.py; they then exit 0), or leave
within seconds, with a reason, when the leader stops answering before that, so that no host keeps a job
running alone. Every process a host's Ray node starts is stopped before the entry point returns (node_processes.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import ray

from training.cluster.health_checks import RAY_HEALTH_CHECKS
from training.cluster.network import address_of, answers, prepare_network, resolve
from training.cluster.node_processes import NodeProcesses
from training.cluster.release import POLL_S, EndWatch, announce_end
from training.cluster.sizing import node_resources
from training.contract.environment import JobEnvironment
from training.errors import JobError

HEAD_PORT = 6379  # Ray's default GCS port; every host of a job reaches the others on any port
_MISSES_BEFORE_LEAVING = 3  # consecutive unanswered looks at the leader's GCS (POLL_S apart) before a host leaves
_STOP_GRACE_S = 10
# `ray start` drains its node on SIGTERM before stopping it (Ray 2.60, ray/_private/node.py,
# _drain_node_before_shutdown): it asks the GCS to mark the node draining, for Ray Serve's proxies, and waits up
# to RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S (30 s). A job's node serves nothing, and once the GCS has stopped (the
# leader's stops with its node's process group) the request waits out the timeout: each host's node then took the
# whole stop grace and a SIGKILL to end. 0 turns the drain off; the node stops its processes at once.
NO_DRAIN = {"RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}


@contextlib.contextmanager
def head_node(env: JobEnvironment) -> Iterator[str]:
    """Run the Ray head on the leader until the block ends; yield the address drivers connect to.

    A head that fails to start (Ray gives its processes 30 s on a busy host) is started again until hosts-timeout.
    """
    address = prepare_network(env)
    cluster = f"{address}:{HEAD_PORT}"
    deadline = time.monotonic() + env.hyperparameters.hosts_timeout
    while True:
        with ray_node(["--head", f"--port={HEAD_PORT}", *_node_options(env, address)], cluster) as node:
            while node.poll() is None and not answers(address, HEAD_PORT):
                time.sleep(0.2)
            if node.poll() is None:
                yield cluster
                return
        _retry_or_fail(node, deadline, "the Ray head")


def _retry_or_fail(node: subprocess.Popen, deadline: float, what: str) -> None:
    if time.monotonic() > deadline:
        raise JobError(f"{what} did not start within hosts-timeout (ray start exit status {node.returncode})")
    print(f"{what} stopped while starting (exit status {node.returncode}); starting it again", flush=True)


def wait_for_hosts(env: JobEnvironment) -> None:
    """Return once every host's node is alive in the cluster; a JobError naming the absent ones at hosts-timeout."""
    started, timeout = time.monotonic(), env.hyperparameters.hosts_timeout
    while missing := _missing_hosts(env):
        if time.monotonic() - started > timeout:
            raise JobError(
                f"host(s) {', '.join(missing)} never joined the job's Ray cluster within hosts-timeout ({timeout} s)"
            )
        time.sleep(0.5)
    print(f"all {len(env.hosts)} hosts joined the Ray cluster in {time.monotonic() - started:.1f} s", flush=True)


def _missing_hosts(env: JobEnvironment) -> list[str]:
    """Hosts without an alive node, by address; when addresses do not tell, how many are missing."""
    nodes = [node for node in ray.nodes() if node["Alive"]]
    if len(nodes) >= len(env.hosts):
        return []
    joined = {node["NodeManagerAddress"] for node in nodes}
    named = [host for host in env.hosts if host != env.current_host and address_of(host) not in joined]
    return named or [f"{len(env.hosts) - len(nodes)} of {len(env.hosts)}"]


def raise_if_hosts_lost(env: JobEnvironment, error: BaseException) -> None:
    """A JobError naming the hosts whose Ray nodes died, when a run failed after losing some."""
    nodes = ray.nodes()
    alive = {node["NodeManagerAddress"] for node in nodes if node["Alive"]}
    lost = sorted({node["NodeManagerAddress"] for node in nodes if not node["Alive"]} - alive)  # not rejoined
    if lost:
        names = [host for host in env.hosts if address_of(host) in lost] or lost
        raise JobError(
            f"host(s) {', '.join(names)} left the job's Ray cluster during the run, which could not go on "
            f"without them (max-failures {env.hyperparameters.max_failures})"
        ) from error


def release_workers(env: JobEnvironment) -> None:
    """Tell every other host that the leader's program has ended and wait (a little) until each has heard it.

    A host that does not hear it (gone, or the cluster broken) leaves anyway once the head stops, with a reason.
    """
    with contextlib.suppress(ray.exceptions.RayError):
        announce_end(env)


def join_cluster(env: JobEnvironment) -> None:
    """On a host other than the leader: join its Ray cluster and stay until it releases this host."""
    address = prepare_network(env)
    deadline = time.monotonic() + env.hyperparameters.hosts_timeout
    leader = resolve(env.leader, deadline)
    while not answers(leader, HEAD_PORT):
        if time.monotonic() > deadline:
            raise JobError(
                f"the leader {env.leader} did not start the job's Ray cluster within hosts-timeout "
                f"({env.hyperparameters.hosts_timeout} s)"
            )
        time.sleep(0.5)
    cluster = f"{leader}:{HEAD_PORT}"
    print(f"{env.current_host} joins the Ray cluster of {env.leader} ({cluster})", flush=True)
    watch = EndWatch(env, cluster)
    while True:
        with ray_node([f"--address={cluster}", *_node_options(env, address)], cluster) as node:
            if _stay(env, leader, node, watch):
                break
        _retry_or_fail(node, deadline, f"Ray on {env.current_host}")
    print(f"{env.current_host} leaves: the leader's program has ended", flush=True)


def _stay(env: JobEnvironment, leader: str, node: subprocess.Popen, watch: EndWatch) -> bool:
    """Block until the leader announces the end (True) or Ray on this host stops (False).

    A JobError when the leader stops answering before it announced the end: it died mid-job. A GCS too busy
    to answer in time still accepts connections, which is not counted as a miss.
    """
    misses = 0
    while not (ended := watch.ended()):
        misses = 0 if ended is False or answers(leader, HEAD_PORT) else misses + 1
        if misses >= _MISSES_BEFORE_LEAVING:
            raise JobError(
                f"the leader {env.leader} stopped answering before its program ended, so {env.current_host} leaves "
                "the job"
            )
        if node.poll() is not None:
            return False
        time.sleep(POLL_S)
    return True


def _node_options(env: JobEnvironment, address: str) -> list[str]:
    resources = [f"--{name.replace('_', '-')}={value}" for name, value in node_resources(env).items()]
    return [f"--node-ip-address={address}", *resources, "--disable-usage-stats"]


@contextlib.contextmanager
def ray_node(options: Sequence[str], cluster: str) -> Iterator[subprocess.Popen]:
    """`ray start --block` in a process group of its own, stopped with all its processes when the block ends.

    RAY_ADDRESS tells its processes which cluster is theirs; without it Ray's state API looks for one
    among every Ray process it can see on the machine. The health-check settings matter on the head, whose
    GCS checks every node (training/cluster/health_checks.py); they are given to every node alike.
    """
    ray_cli = Path(sys.executable).with_name("ray")
    log = tempfile.NamedTemporaryFile(prefix="ray-start-", suffix=".log", delete=False)
    command = [str(ray_cli) if ray_cli.exists() else "ray", "start", "--block", *options]
    processes = NodeProcesses()
    environ = {**os.environ, **RAY_HEALTH_CHECKS, **NO_DRAIN, "RAY_ADDRESS": cluster, **processes.environment}
    node = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=environ)
    try:
        yield node
    finally:
        exited_early = node.poll()
        processes.stop(node, _STOP_GRACE_S)
        log.close()
        if exited_early:  # what `ray start` said is the only account of why it stopped
            print(Path(log.name).read_text()[-2000:], file=sys.stderr, flush=True)
        os.unlink(log.name)
