"""The walkthrough notebook, executed top to bottom as a user would run it, against the stack on moto.

Its parameters cell is overridden the way papermill does it (a cell inserted right after it): the local
executor, small data, a folder of the test's own. The kernel is this environment's Python, as on the
notebook instance the kernel has the project's own pins.
"""

import base64
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "ray_on_sagemaker.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def executed(launcher_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> nbformat.NotebookNode:
    """The notebook after a run with the local executor on moto (the kernel inherits this environment)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.setenv(name, launcher_env[name])
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (index,) = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    overrides = {
        "EXECUTOR": "local",
        "STACK_OUTPUTS": launcher_env["STACK_OUTPUTS"],
        "EPOCHS": 1,
        "BETA_1_GRID": "0.8,0.9",
        "BETA_2_GRID": "0.99",
        "PRICE_PER_HOUR": 0.5,
        "WORK": str(tmp_path / "runs"),
    }
    notebook.cells.insert(index + 1, new_code_cell("\n".join(f"{k} = {v!r}" for k, v in overrides.items())))
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, when a cell fails
    return notebook


def test_the_walkthrough_runs_without_errors_and_shows_heatmaps_and_curves(executed, tmp_path: Path) -> None:
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [base64.b64decode(o.data["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3 and all(image.startswith(PNG) for image in images)  # two heatmaps, the curves
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "tuning 2 trials" in text  # the grid here, and the same search as a job
    assert text.count("completed") >= 2 and "instance-hours, about $" in text
    jobs = sorted(path.name for path in (tmp_path / "runs" / "jobs").iterdir())
    assert len(jobs) == 2 and all(name.startswith("ray-on-sagemaker-") for name in jobs)
