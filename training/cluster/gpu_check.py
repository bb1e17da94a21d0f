"""A host with GPUs that torch cannot use stops the job at start-up, instead of training on its CPUs.

Why: a torch built for a newer CUDA than the host's NVIDIA driver (PyPI's torch 2.13 is a CUDA 13 build,
which needs driver 580 or newer) sees no GPU at all, and `use-gpu auto` would then quietly run the whole
job on the CPUs of an expensive GPU instance. The host's GPUs are what the contract announces
(`SM_NUM_GPUS`) or, as SageMaker sets no such variable for an image of its own, what `nvidia-smi` lists:
the NVIDIA container runtime puts it into every container it gives GPUs to.
"""

from __future__ import annotations

import dataclasses
import subprocess

from training.errors import JobError

_NVIDIA_SMI_TIMEOUT_S = 30


@dataclasses.dataclass(frozen=True)
class DriverReport:
    """What nvidia-smi says about the host: how many GPUs, and the driver (or why it could not say)."""

    gpus: int
    driver: str


def check_gpus(announced: int, use_gpu: bool | None) -> None:
    """Raise a JobError when the host has GPUs but torch sees none; `use-gpu false` skips the check."""
    if use_gpu is False:
        return
    report = nvidia_smi()
    host_gpus = max(announced, report.gpus)
    if host_gpus == 0:
        return
    import torch

    if torch.cuda.device_count() > 0:
        return
    if torch.version.cuda:
        built = f"CUDA {torch.version.cuda}"
        remedy = "the driver may be too old for it: use an instance type whose driver is newer"
    else:
        built, remedy = "no CUDA (a CPU build)", "build the image with `make push-image GPU=1`"
    raise JobError(
        f"this host has {host_gpus} GPU(s) with NVIDIA driver {report.driver} (nvidia-smi), but torch "
        f"{torch.__version__}, built for {built}, sees none: {remedy}, or set use-gpu false to train on the CPU"
    )


def nvidia_smi() -> DriverReport:
    """The GPUs and driver version nvidia-smi reports; none when it is missing or fails."""
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=_NVIDIA_SMI_TIMEOUT_S,
        )
    except FileNotFoundError:
        return DriverReport(gpus=0, driver="unknown (no nvidia-smi in the container)")
    except subprocess.TimeoutExpired:
        return DriverReport(gpus=0, driver=f"unknown (nvidia-smi did not answer in {_NVIDIA_SMI_TIMEOUT_S} s)")
    versions = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not versions:
        said = (result.stdout + result.stderr).strip().splitlines()
        return DriverReport(gpus=0, driver=f"unknown (nvidia-smi: {said[0] if said else f'exit {result.returncode}'})")
    return DriverReport(gpus=len(versions), driver=versions[0])
