"""A real `mlflow server` for the tests (SQLite backend, artifacts in a folder) and reading its runs back."""
from __future__ import annotations

import sys
from pathlib import Path

from tests.support import serving

MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def start_server(folder: Path, port: int, host: str = "127.0.0.1"):
    """`mlflow server` on host:port with its store in folder (SQLite, artifacts in a folder), as a context manager."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = [
        MLFLOW, "server", "--host", host, "--port", str(port), "--workers", "1", "--allowed-hosts", f"{host}:{port}",
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination", str(folder / "art"),
    ]
    return serving(argv, f"http://{host}:{port}/health", folder / "server.log", timeout_s=180)


def runs_of(uri: str, experiment: str):
    """MlflowClient on uri and every run of the experiment (which must exist)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment}"
    return client, client.search_runs([found.experiment_id])
