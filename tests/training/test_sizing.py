"""Sizing Ray workers and trials so that every CPU (or GPU) of the job is used."""

import dataclasses

import pytest

from training.cluster.sizing import plan_trials, plan_workers
from training.contract.environment import read_environment
from training.contract.hyperparameters import Hyperparameters
from training.errors import JobError


def _env(tmp_path, cpus=16, gpus=0, hosts=1, **raw):
    env = read_environment([], {"SM_BASE_DIR": str(tmp_path), "SM_NUM_CPUS": str(cpus), "SM_NUM_GPUS": str(gpus)})
    names = tuple(f"algo-{i}" for i in range(1, hosts + 1))
    return dataclasses.replace(env, hosts=names, hyperparameters=Hyperparameters.from_strings(raw))


def test_cpu_default_is_one_worker_per_host_with_all_its_cpus(tmp_path):
    plan = plan_workers(_env(tmp_path, cpus=16))
    assert (plan.num_workers, plan.cpus_per_worker, plan.use_gpu, plan.backend) == (1, 16, False, "gloo")
    assert plan_workers(_env(tmp_path, cpus=16, hosts=2)).num_workers == 2


@pytest.mark.parametrize(
    ("raw", "shape"),
    [
        ({"num-workers": "4"}, (4, 4, 0)),
        ({"cpus-per-worker": "2"}, (8, 2, 0)),
        ({"num-workers": "3"}, (3, 5, 1)),
        ({"num-workers": "2", "cpus-per-worker": "3"}, (2, 3, 10)),
    ],
)
def test_workers_times_cpus_fill_the_host_or_say_what_is_idle(tmp_path, raw, shape):
    plan = plan_workers(_env(tmp_path, cpus=16, **raw))
    assert (plan.num_workers, plan.cpus_per_worker, plan.idle_cpus) == shape
    assert plan.resources_per_worker == {"CPU": shape[1]}


def test_gpu_hosts_get_one_worker_per_gpu_and_nccl(tmp_path):
    plan = plan_workers(_env(tmp_path, cpus=32, gpus=4))
    assert (plan.num_workers, plan.cpus_per_worker, plan.use_gpu, plan.backend) == (4, 8, True, "nccl")
    assert plan.resources_per_worker == {"CPU": 8, "GPU": 1}
    assert not plan_workers(_env(tmp_path, cpus=32, gpus=4, **{"use-gpu": "false"})).use_gpu


@pytest.mark.parametrize(
    ("raw", "gpus", "message"),
    [
        ({"num-workers": "4", "cpus-per-worker": "8"}, 0, "4 x 8 = 32 CPUs, but the job has 16"),
        ({"use-gpu": "true"}, 0, "use-gpu is true but this host has no GPU"),
        ({"backend": "nccl"}, 0, "backend nccl needs GPUs"),
        ({"num-workers": "3"}, 2, r"num-workers is 3 but the job has 2 GPU\(s\), one per worker"),
        ({"cpus-per-trial": "32"}, 0, "cpus-per-trial is 32 but a host has only 16 CPUs"),
    ],
)
def test_impossible_shapes_are_refused(tmp_path, raw, gpus, message):
    env = _env(tmp_path, cpus=16, gpus=gpus, **raw)
    with pytest.raises(JobError, match=message):
        plan_trials(env) if "cpus-per-trial" in raw else plan_workers(env)


def test_one_trial_per_cpu_by_default(tmp_path):
    plan = plan_trials(_env(tmp_path, cpus=16))
    assert (plan.concurrent_trials, plan.resources) == (16, {"cpu": 1, "gpu": 0.0})
    plan = plan_trials(_env(tmp_path, cpus=16, gpus=1, **{"cpus-per-trial": "2"}))
    assert (plan.concurrent_trials, plan.gpus_per_trial) == (8, 1 / 8)
