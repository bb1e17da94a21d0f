"""Fixtures for training/ tests: the digits data set, SageMaker-shaped job folders, a Ray cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from training.contract.layout import layout
from training.entrypoint import main
from training.programs.demo_data import write_digits


@pytest.fixture(scope="session")
def digits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real digits in MNIST IDX format: {'training': folder, 'testing': folder}."""
    return write_digits(tmp_path_factory.mktemp("digits"))


@pytest.fixture
def make_job(tmp_path: Path, digits: dict[str, Path]) -> Callable[..., Path]:
    """Lay out a job folder with the given hyperparameters (and channels, the digits by default)."""

    def make(hyperparameters: Mapping[str, str], channels: Mapping[str, Path] | None = None) -> Path:
        root = tmp_path / "job"
        layout(root, hyperparameters, digits if channels is None else channels)
        return root

    return make


@pytest.fixture(scope="session")
def quick() -> dict[str, str]:
    """Hyperparameters that are fast on two cores and still reach 90 % on the digits in a few epochs."""
    return {"batch-size": "32", "learning-rate": "0.01", "log-interval": "10"}


@pytest.fixture(scope="session")
def run_job() -> Callable[[Path], int]:
    """Run the entry point in this process, as the image would, on a 2-CPU host without GPUs."""

    def run(root: Path) -> int:
        return main(["train"], {"SM_BASE_DIR": str(root), "SM_NUM_CPUS": "2", "SM_NUM_GPUS": "0"})

    return run


@pytest.fixture(scope="module")
def ray_two_nodes() -> Iterator[None]:
    """A real two-node Ray cluster on this machine (one CPU a node), shared by a test module."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address)
    cluster.wait_for_nodes()
    yield
    ray.shutdown()
    cluster.shutdown()
