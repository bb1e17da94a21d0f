"""Hosts of a SageMaker job simulated on one machine, sharing nothing but a network.

Each host is a network namespace on one bridge with an address in 198.51.100.0/24 (a documentation
range, never the machine's own network), named algo-1, algo-2, ... in its own /etc/hosts
(/etc/netns/<ns>/hosts, as SageMaker's DNS names them), and runs the entry point under
`unshare -m -u` with its own hostname and its own /opt/ml and /tmp bind-mounted from a folder of
the test. An S3 server (moto) runs in a namespace of its own for the job's storage-path.
Every process a host starts carries a marker variable, so the hosts' processes are found (and
killed) by PID whatever Ray did with them. Needs root and iproute2 (and nftables for `raylet_unreachable`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from training.cluster.node_processes import marked_processes
from training.contract.layout import ENTRYPOINT_MODULE, IMAGE_ENVIRONMENT, REPOSITORY, layout

SUBNET = "198.51.100"
S3_ADDRESS = f"{SUBNET}.2"
S3_PORT = 5000
BUCKET = "ray-storage"
_MARKER = "RAY_SM_SIMULATED_HOST"
_BLOCK = "rs_unreachable"  # the nftables table of raylet_unreachable


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class SimulatedHosts:
    """A bridge, one namespace per host and one for S3; `close` removes all of it."""

    def __init__(self, count: int, folder: Path) -> None:
        self.tag = secrets.token_hex(2)
        self.names = [f"algo-{index}" for index in range(1, count + 1)]
        self.folder = folder
        self.bridge = f"rsb{self.tag}"
        self.namespaces: dict[str, str] = {}
        self.servers: list[subprocess.Popen] = []

    def address(self, host: str) -> str:
        return f"{SUBNET}.{10 + self.names.index(host) + 1}"

    def namespace(self, host: str) -> str:
        return f"rs{self.tag}-{host}"

    def veth(self, host: str) -> str:
        return f"rsv{self.tag}{host.rsplit('-', 1)[1]}"

    def open(self) -> SimulatedHosts:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{SUBNET}.1/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        hosts_file = "127.0.0.1 localhost\n" + "".join(f"{self.address(h)} {h}\n" for h in self.names)
        for host in [*self.names, "s3"]:
            namespace = self.namespace(host)
            _ip("netns", "add", namespace)
            self.namespaces[host] = namespace
            address = S3_ADDRESS if host == "s3" else self.address(host)
            veth = f"rsv{self.tag}s" if host == "s3" else self.veth(host)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            _ip("link", "set", veth, "master", self.bridge, "up")
            for command in (
                ["link", "set", "lo", "up"],
                ["addr", "add", f"{address}/24", "dev", "eth0"],
                ["link", "set", "eth0", "up"],
            ):
                _ip("netns", "exec", namespace, "ip", *command)
            etc = Path("/etc/netns") / namespace
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts_file)
        self._start_s3()
        return self

    def _start_s3(self) -> None:
        moto = str(Path(sys.executable).with_name("moto_server"))
        log = (self.folder / "moto.log").open("wb")
        server = subprocess.Popen(
            ["ip", "netns", "exec", self.namespaces["s3"], moto, "-H", S3_ADDRESS, "-p", str(S3_PORT)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, _MARKER: f"{self.tag}/s3"},
        )
        self.servers.append(server)
        import boto3

        client = boto3.client("s3", **aws_settings())
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                return
            except Exception:  # noqa: BLE001 - not answering yet
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "moto.log").read_text()[-2000:]
                    raise RuntimeError(f"moto_server did not start: {log}") from None
                time.sleep(0.2)

    def start(self, host: str, job: Path, extra_env: Mapping[str, str] | None = None) -> subprocess.Popen:
        """Run the entry point on a host with job/opt_ml as its /opt/ml and job/tmp as its /tmp."""
        opt_ml, tmp = job / "opt_ml", job / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        Path("/opt/ml").mkdir(parents=True, exist_ok=True)  # the mount point
        script = (
            f'mount --bind "$1" /opt/ml && {_keep_visible(tmp)}mount --rbind "$2" /tmp && hostname "$3" '
            f'&& mkdir -p /tmp/home && exec "$4" {shlex.join(ENTRYPOINT_MODULE)}'
        )
        environ = {
            "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": str(REPOSITORY),
            "HOME": "/tmp/home",
            **IMAGE_ENVIRONMENT,
            _MARKER: f"{self.tag}/{host}",
            "AWS_ENDPOINT_URL": aws_settings()["endpoint_url"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            **(extra_env or {}),
        }
        log = (job / "entrypoint.log").open("wb")
        return subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.namespaces[host],
                "unshare",
                "-m",
                "-u",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
                str(opt_ml),
                str(tmp),
                host,
                sys.executable,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=REPOSITORY,
        )

    def processes(self, host: str) -> list[int]:
        """PIDs of every process a host started (found by the marker in their environment)."""
        return [process.pid for process in marked_processes(_MARKER, f"{self.tag}/{host}")]

    def kill(self, host: str) -> None:
        """Every process of a host, by PID, as when its instance fails."""
        for pid in self.processes(host):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def cut(self, host: str, connected: bool = False) -> None:
        """Unplug (or plug back) a host's network: its packets then vanish, as a dead instance's do."""
        _ip("link", "set", self.veth(host), "up" if connected else "down")

    @contextlib.contextmanager
    def raylet_unreachable(self, host: str) -> Iterator[None]:
        """Until the block ends, drop what other hosts send to every port of a host's raylet, as when it hangs.

        No task, lease or health check reaches that host's Ray node any more; what the host sends itself (its
        entry point's calls to the leader's GCS on 6379) and the answers it gets still pass. nftables, in the
        host's own network namespace.
        """
        ports = ", ".join(str(port) for port in self._listening_ports(host, "raylet"))
        rules = f"table inet {_BLOCK} {{ chain input {{ type filter hook input priority 0; "
        rules += f'iifname "eth0" tcp dport {{ {ports} }} drop; }}; }}'
        subprocess.run(
            ["ip", "netns", "exec", self.namespaces[host], "nft", "-f", "-"],
            input=rules,
            check=True,
            capture_output=True,
            text=True,
        )
        try:
            yield
        finally:
            _ip("netns", "exec", self.namespaces[host], "nft", "delete", "table", "inet", _BLOCK)

    def _listening_ports(self, host: str, program: str) -> list[int]:
        """The TCP ports a program of a host listens on (`ss` in its namespace); an error when there are none."""
        listing = subprocess.run(
            ["ip", "netns", "exec", self.namespaces[host], "ss", "-Htlnp"], check=True, capture_output=True, text=True
        ).stdout
        ports = sorted(
            {int(line.split()[3].rsplit(":", 1)[1]) for line in listing.splitlines() if f'(("{program}",' in line}
        )
        if not ports:
            raise RuntimeError(f"no {program} listens on {host}:\n{listing}")
        return ports

    def close(self) -> None:
        for host in [*self.names, "s3"]:
            self.kill(host)
        for server in self.servers:
            server.wait(timeout=30)
        for namespace in self.namespaces.values():
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "delete", namespace)
            shutil.rmtree(Path("/etc/netns") / namespace, ignore_errors=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "delete", self.bridge)


def aws_settings() -> dict[str, str]:
    """Where the simulated S3 is, with the dummy credentials moto accepts."""
    return {
        "endpoint_url": f"http://{S3_ADDRESS}:{S3_PORT}",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


@contextlib.contextmanager
def simulated_hosts(count: int, folder: Path) -> Iterator[SimulatedHosts]:
    hosts = SimulatedHosts(count, folder)
    try:
        yield hosts.open()
    finally:
        hosts.close()


def lay_out_job(
    job: Path, hosts: list[str], host: str, hyperparameters: Mapping[str, str], channels: Mapping[str, Path]
) -> Path:
    """One host's /opt/ml as SageMaker writes it for a job on several hosts; return the folder."""
    opt_ml = job / "opt_ml"
    layout(opt_ml, hyperparameters, channels, hosts, host, interface="eth0", instance_type="ml.m5.large")
    return opt_ml


def _keep_visible(tmp: Path) -> str:
    """Shell commands that keep this checkout and its Python visible under a host's own /tmp.

    A clone under /tmp (as a CI run may make) would otherwise vanish behind the host's /tmp: each such
    folder is bound to the same place inside the host's tmp folder before that folder becomes /tmp.
    """
    commands = ""
    for path in sorted({REPOSITORY, Path(sys.prefix).resolve()}):
        if path.is_relative_to("/tmp"):
            inside = shlex.quote(str(tmp / path.relative_to("/tmp")))
            commands += f"mkdir -p {inside} && mount --bind {shlex.quote(str(path))} {inside} && "
    return commands
