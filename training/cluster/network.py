"""The network facts a multi-host job needs: this host's address, the others' addresses, the shared token.

SageMaker names a job's hosts `algo-1`, `algo-2`, ... in its DNS and tells the container which network
interface joins them (`network_interface_name` in resourceconfig.json). Names can take a while to
resolve after a host starts, so lookups retry until a deadline.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import struct
import time
from collections.abc import Mapping, Sequence

from training.contract.environment import JobEnvironment
from training.errors import JobError

_SIOCGIFADDR = 0x8915  # Linux ioctl: the IPv4 address of a network interface (netdevice(7))


def interface_address(interface: str) -> str:
    """The IPv4 address of a network interface of this host, e.g. eth0 -> 10.0.1.23."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, struct.pack("256s", interface.encode()[:15]))
        except OSError:
            known = ", ".join(name for _, name in socket.if_nameindex())
            raise JobError(
                f"network interface '{interface}' from resourceconfig.json has no IPv4 address on this host "
                f"(interfaces: {known})"
            ) from None
    return socket.inet_ntoa(answer[20:24])


def address_of(host: str) -> str | None:
    """The host's IPv4 address from DNS, or None while it does not resolve."""
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None


def resolve(host: str, deadline: float) -> str:
    """The host's address, retrying while DNS settles; a JobError at the deadline (time.monotonic)."""
    while (address := address_of(host)) is None:
        if time.monotonic() > deadline:
            raise JobError(f"host {host} never resolved to an address within hosts-timeout")
        time.sleep(0.5)
    return address


def answers(address: str, port: int, timeout_s: float = 1.0) -> bool:
    """Whether something accepts TCP connections on address:port right now."""
    try:
        with socket.create_connection((address, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def cluster_token(env: JobEnvironment) -> str:
    """The Ray auth token: the same on every host of a job, different for every job, never in the image.

    Derived from what SageMaker gives every host alike: the job's ARN (or name), its hosts and its
    hyperparameters. A process that knows all of these could derive it too; the token keeps other
    clusters and stray clients on the training network out, it is not a secret from the job's owner.
    """
    return job_token(env.job_identity, env.hosts, env.hyperparameters.as_strings())


def job_token(identity: str, hosts: Sequence[str], hyperparameters: Mapping[str, str]) -> str:
    """cluster_token from its parts, for a client that knows them from DescribeTrainingJob (make dashboard)."""
    parts = {"job": identity, "hosts": list(hosts), "hyperparameters": dict(hyperparameters)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def use_job_token(env: JobEnvironment) -> None:
    """Make Ray use the job's token (RAY_AUTH_TOKEN given to the job wins), on one host as on several.

    On one host Ray would otherwise make a random one, which `make dashboard` could not tell its user.
    """
    token = os.environ.get("RAY_AUTH_TOKEN") or cluster_token(env)
    os.environ.update({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token})


def prepare_network(env: JobEnvironment) -> str:
    """Bind Ray, gloo and NCCL to the job's network interface and set the job's token; return this host's IP.

    Ray reads RAY_AUTH_MODE when it is imported, so the entry point calls this before it imports Ray.
    A RAY_AUTH_TOKEN given to the job (its environment) wins over the derived one.
    """
    address = interface_address(env.network_interface)
    os.environ.update(
        {
            "GLOO_SOCKET_IFNAME": env.network_interface,
            "NCCL_SOCKET_IFNAME": env.network_interface,
        }
    )
    use_job_token(env)
    return address
