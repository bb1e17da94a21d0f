"""A script that never calls ray.init(), as aws-samples' launcher allows, uses every host of a job.

The hosts are tests/training/test_multihost.py's simulated ones (a set of this module's own).
"""

from __future__ import annotations

import json

from tests.training.multihost_jobs import finish, log, nothing_left, start
from tests.training.test_multihost import hosts  # noqa: F401 - a fixture

NO_INIT = """
import json, os, socket
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

@ray.remote(num_cpus=1)
def where():
    return socket.gethostname()

nodes = [node["NodeID"] for node in ray.nodes() if node["Alive"]]
pinned = [NodeAffinitySchedulingStrategy(node, soft=False) for node in nodes]
on_each = [where.options(scheduling_strategy=strategy).remote() for strategy in pinned]
seen = {"cpus": ray.cluster_resources()["CPU"], "hosts": sorted(ray.get(on_each))}
with open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w") as out:
    json.dump(seen, out)
"""


def test_a_script_without_ray_init_sees_every_hosts_cpus(hosts, tmp_path):  # noqa: F811 - the fixture imported above
    code = tmp_path / "code"
    code.mkdir()
    (code / "no_init.py").write_text(NO_INIT)
    members = ["algo-1", "algo-2"]
    hyperparameters = {"program": "script", "entry-script": "no_init.py", "hosts-timeout": "300"}
    processes = start(hosts, tmp_path / "job", members, members, hyperparameters, {"code": code})

    codes = finish(processes, 300)

    assert codes == {"algo-1": 0, "algo-2": 0}, log(tmp_path / "job", "algo-1")[-3000:]
    seen = json.loads((tmp_path / "job" / "algo-1" / "opt_ml" / "model" / "seen.json").read_text())
    assert seen == {"cpus": 2.0, "hosts": ["algo-1", "algo-2"]}
    nothing_left(hosts, members)
