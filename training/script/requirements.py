"""A script's requirements.txt, installed beside the image's packages so that it can never replace them.

The image's Ray and torch, and every installed package they depend on, stay at the image's versions:
a line that asks for another version of one of them is left out (one log line names each and why),
and what remains is installed with those versions as pip constraints. pip runs in an overlay
environment of the job's own: a virtual environment whose `.pth` file shows pip the image's site
packages, so what is installed there at a compatible version is kept (as the SageMaker training
toolkit's `pip install -r` keeps it) instead of being installed again, and nothing of the image is
changed. The overlay's site-packages goes on PYTHONPATH before Ray starts, for the script and Ray's
workers alike. A line that cannot be satisfied beside the image's versions fails the job, naming it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import site
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from training.errors import JobError

REQUIREMENTS = "requirements.txt"
PROTECTED_ROOTS = ("ray", "torch")  # the image's own: they and what they depend on keep the image's versions
_PIP = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet"]


@contextlib.contextmanager
def requirements_installed(folder: Path) -> Iterator[None]:
    """Install folder/requirements.txt (if any) into an overlay on PYTHONPATH while the block runs."""
    requirements = folder / REQUIREMENTS
    if not requirements.is_file():
        yield
        return
    pins = protected_versions()
    kept, left_out = split_requirements(requirements.read_text().splitlines(), pins)
    if left_out:
        print(f"{REQUIREMENTS}: left out {'; '.join(left_out)}: the job runs on the image's versions", flush=True)
    previous = os.environ.get("PYTHONPATH")
    missing = [line for line in kept if not _satisfied(_requirement(line))]
    with tempfile.TemporaryDirectory(prefix="script-packages-") as scratch:
        overlay = Path(scratch)
        if not missing:
            print(f"{REQUIREMENTS}: the image has every package it names", flush=True)
        else:
            print(f"installing {requirements} beside the image's packages", flush=True)
            packages = _install(kept, pins, folder, overlay)
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(packages), previous]))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = previous


def protected_versions() -> dict[str, str]:
    """The installed version of ray, torch and every installed package they depend on, by canonical name."""
    pins: dict[str, str] = {}
    pending = list(PROTECTED_ROOTS)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in pins:
            continue
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        pins[name] = distribution.version
        pending += [_name(line) for line in distribution.requires or [] if _name(line)]
    return pins


def split_requirements(lines: Iterable[str], pins: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The lines to install, and each left-out line with why: another version of one of the image's packages."""
    kept, left_out = [], []
    for line in lines:
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        requirement = _requirement(text)
        name = canonicalize_name(requirement.name) if requirement else ""
        if name in pins and (requirement.url or not requirement.specifier.contains(pins[name], prereleases=True)):
            left_out.append(f"'{text}' (the image has {name} {pins[name]})")
        else:
            kept.append(text)
    return kept, left_out


def _install(lines: list[str], pins: Mapping[str, str], folder: Path, overlay: Path) -> Path:
    """pip install the lines into an overlay environment constrained to pins; its site-packages folder."""
    environment = overlay / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True)
    python = environment / "bin" / "python"
    packages = Path(sysconfig.get_path("purelib", vars={"base": str(environment), "platbase": str(environment)}))
    (packages / "image.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    (overlay / "requirements.txt").write_text("".join(f"{_anchored(line, folder)}\n" for line in lines))
    (overlay / "constraints.txt").write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    pip = [str(python), *_PIP, "-r", str(overlay / "requirements.txt"), "-c", str(overlay / "constraints.txt")]
    result = subprocess.run(pip, cwd=folder, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise JobError(_failure(lines, result.stderr))
    return packages


def _anchored(line: str, folder: Path) -> str:
    """A line as pip reads it from folder: a nested `-r`/`-c` file named relative to the user's file."""
    option, _, path = line.partition(" ")
    if option in ("-r", "--requirement", "-c", "--constraint") and path.strip():
        return f"{option} {(folder / path.strip()).resolve()}"
    return line


def _satisfied(requirement: Requirement | None, extra: str = "") -> bool:
    """Whether the installed packages already meet a requirement and its extras, as pip would find."""
    if requirement is None or requirement.url:
        return False
    if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
        return True
    try:
        distribution = importlib.metadata.distribution(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return False
    if not requirement.specifier.contains(distribution.version, prereleases=True):
        return False
    needed = [_requirement(line) for line in distribution.requires or []]
    return all(
        _satisfied(dependency, wanted)
        for wanted in requirement.extras
        for dependency in needed
        if dependency and dependency.marker and not dependency.marker.evaluate({"extra": ""})
    )


def _failure(lines: list[str], stderr: str) -> str:
    """One sentence: the line pip could not satisfy beside the image's versions, and why."""
    errors = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = errors[-1] if errors else "no output"
    numbered = re.search(r"requirements\.txt \(line (\d+)\)", stderr)  # pip names a conflict's line so
    words = " ".join(errors).lower()
    by_name = (line for line in lines if (req := _requirement(line)) and req.name.lower() in words)
    named = lines[int(numbered[1]) - 1] if numbered and int(numbered[1]) <= len(lines) else next(by_name, None)
    head = f"installing the script's {REQUIREMENTS} failed"
    if named is None:
        return f"{head}: {last}"
    why = "what it depends on conflicts with the image's versions" if "conflicting dependencies" in stderr else last
    return f"{head}: line '{named}' cannot be satisfied beside the image's packages ({why})"


def _requirement(text: str) -> Requirement | None:
    """The requirement a line names; None for pip options, paths and other lines pip reads itself."""
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _name(line: str) -> str:
    requirement = _requirement(line)
    return requirement.name if requirement else ""
