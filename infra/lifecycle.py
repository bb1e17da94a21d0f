"""Render the notebook's lifecycle script from the real files in notebook_scripts/.

The on-start script fetches the project's asset (training/, launcher/, notebooks/, pyproject.toml, ...)
from S3 and runs notebooks/prepare_notebook.sh from it, which places the project in ~/SageMaker and
prepares the Python 3.11 kernel with the very pins of the image and `make install`.
"""

import base64
from pathlib import Path

SCRIPTS = Path(__file__).parent / "notebook_scripts"
PREPARE_SCRIPT = Path(__file__).parents[1] / "notebooks" / "prepare_notebook.sh"
# NotebookInstanceLifecycleHook.Content is "a base64-encoded string", length 1 to 16384 (SageMaker API reference;
# CloudFormation's schema has the same maxLength), so the limit applies to the encoded text, not the script.
MAX_CONTENT_CHARS = 16384
# Where the asset's S3 URL goes; it is known only at deploy time (the bootstrap bucket's name has the account).
ASSET_PLACEHOLDER = "@PROJECT_ASSET@"
# The longest URL a deploy can put there: s3:// + a bucket name (at most 63 characters) + / + <sha256>.zip.
LONGEST_ASSET_URL = "s3://" + "b" * 63 + "/" + "k" * 64 + ".zip"


def on_start_script(idle_stop_minutes: int) -> str:
    """The on-start script with every placeholder but the asset's URL filled in (see split_at_asset)."""
    script = (SCRIPTS / "on_start.sh").read_text(encoding="utf-8")
    values = {
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


def split_at_asset(script: str) -> tuple[str, str]:
    """The script before and after the asset's URL, checked against the limit with the longest URL in place."""
    before, asset, after = script.partition(ASSET_PLACEHOLDER)
    if not asset:
        raise ValueError(f"The on-start script has no {ASSET_PLACEHOLDER} placeholder.")
    encoded(before + LONGEST_ASSET_URL + after)
    return before, after
