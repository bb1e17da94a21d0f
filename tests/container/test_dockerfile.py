"""The Dockerfile is lint-clean and installs exactly the project's training pins (no image is built here)."""
from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from container.push import GPU_BUILD_ARGS, default_base_registry
from container.requirements import group_requirements, write_requirements

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "container" / "Dockerfile"


def test_image_lint_passes() -> None:
    result = subprocess.run(["make", "--no-print-directory", "image-lint"], cwd=ROOT, capture_output=True, text=True)
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


def test_dockerfile_installs_the_generated_requirements_and_runs_train_in_exec_form() -> None:
    text = DOCKERFILE.read_text()
    assert "COPY build/image/requirements.txt /tmp/requirements.txt" in text
    assert re.search(r"pip install [^\n]*-r /tmp/requirements\.txt", text)
    assert "==" not in text, "pins belong in pyproject.toml, not in the Dockerfile"
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", text, re.MULTILINE)
    assert entrypoint and json.loads(entrypoint[1]) == ["train"]


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    allowed = [line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    copied = re.findall(r"^COPY (\S+) ", DOCKERFILE.read_text(), re.MULTILINE)
    assert sorted(path.rstrip("/") for path in allowed) == sorted(path.rstrip("/") for path in copied)


def test_base_image_comes_from_the_stack_region_and_gpu_swaps_only_the_tag() -> None:
    assert default_base_registry(DOCKERFILE, "eu-west-1") == "763104351884.dkr.ecr.eu-west-1.amazonaws.com"
    cpu_tag = re.search(r"^ARG BASE_TAG=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)[1]
    gpu_tag = dict(arg.split("=", 1) for arg in GPU_BUILD_ARGS)["BASE_TAG"]
    assert gpu_tag.replace("-gpu-", "-cpu-").replace("-cu124", "") == cpu_tag
