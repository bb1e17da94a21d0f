"""What the SageMaker training toolkit gives a script, as a reference for tests; and a wheel pip needs no index for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path


def wheel(folder: Path, requires: str = "") -> Path:
    """A minimal pure-Python wheel, tinydep 1.0 (VALUE = 42; requiring `requires`), so pip needs no index."""
    folder.mkdir(parents=True)
    path = folder / "tinydep-1.0-py3-none-any.whl"
    info = "tinydep-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("tinydep.py", "VALUE = 42\n")
        needs = f"Requires-Dist: {requires}\n" if requires else ""
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n{needs}")
        tags = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        wheel.writestr(f"{info}/WHEEL", tags)
        wheel.writestr(f"{info}/RECORD", "")
    return folder


def toolkit_env(root: Path, hyperparameters: dict) -> dict:
    """sagemaker_training's Environment().to_env_vars() for the layout at root, in a process of its own.

    The toolkit reads SAGEMAKER_BASE_DIR when it is imported. It knows the script from sagemaker_program
    and its folder from sagemaker_submit_directory, where this image takes program=script and entry-script.
    """
    code = """
import json, sys
from sagemaker_training.environment import Environment
hps = json.loads(sys.argv[1])
json.dump(Environment(hyperparameters=hps).to_env_vars(), sys.stdout)
"""
    env = {"SAGEMAKER_BASE_DIR": str(root), "HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin"}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(hyperparameters)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_same_variables(seen: dict[str, str], reference: dict[str, str]) -> None:
    """The same SM_* names, and each the same value (JSON ones compared as what they decode to)."""
    assert set(seen) == set(reference)
    for name in reference:
        expected, got = reference[name], seen[name]
        if expected.startswith(("{", "[")):
            expected, got = json.loads(expected), json.loads(got)
        assert got == expected, name
