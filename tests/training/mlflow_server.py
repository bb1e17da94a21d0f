"""A real `mlflow server` for the tests (SQLite backend, artifacts in a folder), reading its runs back,
and a relay in front of it that a test can cut, so that to a job the server has stopped."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.support import stop_process_group, wait_until_answering

MLFLOW = str(Path(sys.executable).with_name("mlflow"))


@contextlib.contextmanager
def start_server(folder: Path, port: int, host: str = "127.0.0.1") -> Iterator[subprocess.Popen]:
    """`mlflow server` on host:port with its store in folder until the block ends.

    It runs in a process group of its own: `mlflow server` starts uvicorn as a child, and the whole group
    is stopped at the end. Its job runner (MLflow's scheduled server-side jobs) is not needed here.
    """
    folder.mkdir(parents=True, exist_ok=True)
    argv = [
        MLFLOW,
        "server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--allowed-hosts",
        f"{host}:*",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination",
        str(folder / "art"),
    ]
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with (folder / "server.log").open("wb") as log:
        server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_until_answering(f"http://{host}:{port}/health", server, timeout_s=300)
        yield server
    finally:
        stop_process_group(server)


def runs_of(uri: str, experiment: str):
    """MlflowClient on uri and every run of the experiment (which must exist)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment}"
    return client, client.search_runs([found.experiment_id])


class Relay:
    """TCP on a port of its own, passed on to a server's port until `cut`, after which nothing answers there."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # cut
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Stop listening and drop every connection: the server behind is gone, as far as clients can tell."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
