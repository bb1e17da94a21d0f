"""Render the notebook's lifecycle script from the real files in notebook_scripts/.

The Ray requirement is read from pyproject.toml's `training` group at synth time, so the notebook
kernel, the training image and local runs all install one and the same Ray.
"""

import re
import tomllib
from pathlib import Path

SCRIPTS = Path(__file__).parent / "notebook_scripts"
PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"
MAX_SCRIPT_BYTES = 16 * 1024  # SageMaker's limit for one lifecycle script


def ray_requirement(pyproject: Path = PYPROJECT) -> str:
    """Return the exact `ray[...]==X` pin of the training dependency group."""
    groups = tomllib.loads(pyproject.read_text(encoding="utf-8"))["dependency-groups"]
    pins = [item for item in groups["training"] if re.fullmatch(r"ray(\[[a-z,]+\])?==[\w.]+", item)]
    if len(pins) != 1:
        raise ValueError(f"pyproject.toml's training group must pin Ray exactly once as ray[...]==X, found {pins}.")
    return pins[0]


def on_start_script(idle_stop_minutes: int) -> str:
    """The on-start script: background Ray install into conda_pytorch, then the idle auto-stop timer."""
    script = (SCRIPTS / "on_start.sh").read_text(encoding="utf-8")
    values = {
        "@RAY_REQUIREMENT@": ray_requirement(),
        "@IDLE_STOP_MINUTES@": str(idle_stop_minutes),
        "@AUTOSTOP_PROGRAM@": (SCRIPTS / "autostop.py").read_text(encoding="utf-8").rstrip("\n"),
    }
    for placeholder, value in values.items():
        script = script.replace(placeholder, value)
    if "\r" in script or len(script.encode("utf-8")) > MAX_SCRIPT_BYTES:
        raise ValueError("The on-start lifecycle script must use LF line endings and stay under 16 KB.")
    return script
