"""The Dockerfile is lint-clean and installs exactly the project's training pins (no image is built here)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from container.push import GPU_BUILD_ARGS, default_base_image
from container.requirements import group_requirements, write_requirements
from training.contract.layout import IMAGE_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "container" / "Dockerfile"


def test_image_lint_passes() -> None:
    result = subprocess.run(["make", "--no-print-directory", "lint-image"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_requirements_are_the_training_group_pins(tmp_path: Path) -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["training"]
    written = write_requirements(ROOT / "pyproject.toml", tmp_path / "requirements.txt").read_text().splitlines()
    assert written == pins
    assert "ray[train,tune,default]==2.60.0" in written and "torch==2.13.0" in written


def test_requirements_refuse_what_pip_could_not_read(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[dependency-groups]\ntraining = [{include-group = "x"}]\n')
    with pytest.raises(ValueError, match="only requirement strings"):
        group_requirements(pyproject)
    with pytest.raises(ValueError, match="no dependency group 'other'"):
        group_requirements(pyproject, "other")


def test_dockerfile_installs_the_generated_requirements_in_a_closed_venv_under_tini() -> None:
    text = DOCKERFILE.read_text()
    assert "COPY build/image/requirements.txt /tmp/requirements.txt" in text
    assert re.search(r"pip install [^\n]*-r /tmp/requirements\.txt", text)
    assert "==" not in text, "pins belong in pyproject.toml, not in the Dockerfile"
    assert 'python3 -m venv "$VIRTUAL_ENV"' in text and "system-site-packages" not in text
    assert re.search(r"apt-get install [^\n]*\btini\b", text)
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", text, re.MULTILINE)
    assert entrypoint and json.loads(entrypoint[1]) == ["tini", "--", "train"]


def test_ray_in_the_image_stays_offline_and_keeps_its_files_on_the_jobs_volume() -> None:
    env = dict(re.findall(r"^\s+(\w+)=(\S*?)(?: \\)?$", DOCKERFILE.read_text(), re.MULTILINE))
    assert env["RAY_USAGE_STATS_ENABLED"] == "0"
    assert env["RAY_TMPDIR"].startswith("/opt/ml/output/") and not env["RAY_TMPDIR"].startswith("/opt/ml/output/data")
    assert env["LD_LIBRARY_PATH"] == ""


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    allowed = [line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    copied = re.findall(r"^COPY (\S+) ", DOCKERFILE.read_text(), re.MULTILINE)
    assert sorted(path.rstrip("/") for path in allowed) == sorted(path.rstrip("/") for path in copied)


def test_default_base_is_slim_python_311_pinned_by_digest_from_a_public_registry() -> None:
    base = default_base_image(DOCKERFILE)
    assert re.fullmatch(r"public\.ecr\.aws/docker/library/python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", base)


def test_gpu_build_takes_a_cuda_12_torch_from_pytorchs_index() -> None:
    assert GPU_BUILD_ARGS == ("TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126",)


def test_runs_outside_the_image_get_the_images_environment() -> None:
    """The local executor and the simulated hosts set what the image's ENV sets (training/contract/layout.py)."""
    text = DOCKERFILE.read_text()
    for name, value in IMAGE_ENVIRONMENT.items():
        assert re.search(rf"^(ENV |\s+){name}={value}\b", text, re.MULTILINE), name
