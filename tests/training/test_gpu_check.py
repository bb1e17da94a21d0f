"""A GPU host whose GPUs torch cannot see fails at start-up with one sentence, instead of training on the CPU.

The host's GPUs come from a stand-in `nvidia-smi` on PATH (a shell script answering like the real one);
the torch under test is this machine's CPU build, which sees no GPU, as a CUDA 13 torch on an older
driver would.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

from training.cluster.gpu_check import check_gpus, nvidia_smi
from training.entrypoint import EXIT_BAD_INPUT, main
from training.errors import JobError

pytestmark = pytest.mark.skipif(torch.cuda.device_count() > 0, reason="torch sees a GPU on this machine")


def fake_nvidia_smi(folder: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """Put an `nvidia-smi` running `script` first on PATH."""
    folder.mkdir()
    program = folder / "nvidia-smi"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def four_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host whose nvidia-smi lists four GPUs on driver 535.183.01 (CUDA 12.2)."""
    fake_nvidia_smi(tmp_path / "bin", monkeypatch, 'for i in 1 2 3 4; do echo "535.183.01"; done')


def test_gpus_announced_but_unseen_fail_the_job_with_one_sentence_and_no_model(
    four_gpus: None, make_job, capsys: pytest.CaptureFixture
) -> None:
    root = make_job({"epochs": "1"})
    (root / "model").mkdir(exist_ok=True)
    (root / "model" / "model.pth").write_bytes(b"stale")

    status = main(["train"], {"SM_BASE_DIR": str(root), "SM_NUM_CPUS": "2", "SM_NUM_GPUS": "4"})

    failure = (root / "output" / "failure").read_text()
    assert status == EXIT_BAD_INPUT == 1
    assert failure.count("\n") == 1 and "4 GPU(s)" in failure
    assert "NVIDIA driver 535.183.01 (nvidia-smi)" in failure and f"torch {torch.__version__}" in failure
    assert "no CUDA (a CPU build)" in failure and "GPU=1" in failure
    assert not (root / "model" / "model.pth").exists()
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"error: {failure.strip()}" in err


def test_nvidia_smi_alone_reveals_the_gpus_when_sagemaker_sets_no_variable(four_gpus: None) -> None:
    assert nvidia_smi().gpus == 4
    with pytest.raises(JobError, match=r"this host has 4 GPU\(s\) with NVIDIA driver 535\.183\.01"):
        check_gpus(announced=0, use_gpu=None)


def test_use_gpu_false_trains_on_the_cpu_of_a_gpu_host_on_purpose(four_gpus: None) -> None:
    check_gpus(announced=4, use_gpu=False)


def test_a_host_without_gpus_passes_and_a_broken_driver_is_named(tmp_path: Path, monkeypatch) -> None:
    mismatch = "Failed to initialize NVML: Driver/library version mismatch"
    fake_nvidia_smi(tmp_path / "bin", monkeypatch, f"echo '{mismatch}'; exit 18")
    assert nvidia_smi().driver == f"unknown (nvidia-smi: {mismatch})"
    check_gpus(announced=0, use_gpu=None)
    with pytest.raises(JobError, match=r"has 2 GPU\(s\) with NVIDIA driver unknown \(nvidia-smi: Failed"):
        check_gpus(announced=2, use_gpu=True)


def test_a_cuda_torch_that_sees_no_gpu_points_at_the_driver(four_gpus: None, monkeypatch) -> None:
    monkeypatch.setattr(torch.version, "cuda", "12.6")
    with pytest.raises(JobError, match=r"built for CUDA 12\.6, sees none: the driver may be too old for it"):
        check_gpus(announced=4, use_gpu=None)
