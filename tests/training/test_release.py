"""The end of the leader's program, announced through its GCS and heard by the other hosts
(training/cluster/release.py).

On a one-node Ray cluster in this process: the leader's side runs here as a driver, the other hosts'
side reads the same GCS the way their entry points do, without joining as a driver. A GCS that goes
silent before the end is proven on the simulated hosts (tests/training/test_multihost.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from training.cluster.release import EndWatch, announce_end
from training.contract.environment import JobEnvironment, read_environment


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A one-node Ray cluster joined by this process; its GCS address."""
    import ray
    from ray.cluster_utils import Cluster

    head = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    ray.init(address=head.address)
    yield head.address
    ray.shutdown()
    head.shutdown()


def _host(tmp_path, current: str, hosts: list[str]) -> JobEnvironment:
    environ = {"SM_BASE_DIR": str(tmp_path), "SM_HOSTS": str(hosts).replace("'", '"'), "SM_CURRENT_HOST": current}
    return read_environment(["--storage-path", str(tmp_path)], environ)


def test_a_host_hears_the_end_and_the_leader_hears_it_heard(cluster, tmp_path, capsys):
    hosts = ["algo-1", "algo-2"]
    watch = EndWatch(_host(tmp_path, "algo-2", hosts), cluster)
    assert watch.ended() is False

    leader = threading.Thread(target=announce_end, args=(_host(tmp_path, "algo-1", hosts),))
    leader.start()
    heard = False
    while leader.is_alive() and not heard:
        heard = bool(watch.ended())
    leader.join(timeout=60)

    assert heard and not leader.is_alive()
    assert "did not acknowledge" not in capsys.readouterr().out


def test_the_leader_does_not_wait_long_for_a_host_without_a_live_node(cluster, tmp_path, capsys):
    announce_end(_host(tmp_path, "algo-1", ["algo-1", "algo-3"]))
    assert "host(s) algo-3 did not acknowledge the end of the program" in capsys.readouterr().out
