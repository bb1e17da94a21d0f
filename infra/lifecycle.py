"""Render the notebook's lifecycle script from the real files in notebook_scripts/.

The Ray requirement is read from pyproject.toml's `training` group at synth time, so the notebook
kernel, the training image and local runs all install one and the same Ray.
"""

import base64
import re
import tomllib
from pathlib import Path

SCRIPTS = Path(__file__).parent / "notebook_scripts"
PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"
# NotebookInstanceLifecycleHook.Content is "a base64-encoded string", length 1 to 16384 (SageMaker API reference;
# CloudFormation's schema has the same maxLength), so the limit applies to the encoded text, not the script.
MAX_CONTENT_CHARS = 16384


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
    if "\r" in script:
        raise ValueError("The on-start lifecycle script must use LF line endings.")
    return script


def encoded(script: str) -> str:
    """The script as the lifecycle configuration carries it (base64), refused when over SageMaker's limit."""
    content = base64.b64encode(script.encode("utf-8")).decode("ascii")
    if len(content) > MAX_CONTENT_CHARS:
        raise ValueError(
            f"The lifecycle script is {len(content)} characters in base64; SageMaker allows {MAX_CONTENT_CHARS}."
        )
    return content
