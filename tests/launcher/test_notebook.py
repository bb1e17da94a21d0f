"""The walkthrough notebook, executed top to bottom as a user would run it, against the stack on moto: with the
local executor from this checkout, and with EXECUTOR = "sagemaker" from a copy laid out as the notebook instance
gets it (infra/notebook.py's asset: no build/, no outputs file), up to the jobs moto records.

Its parameters cell is overridden the way papermill does it (a cell inserted right after it). The kernel is this
environment's Python, as on the notebook instance the kernel has the project's own pins.
"""

import base64
import shutil
import subprocess
from pathlib import Path

import nbformat
import pathspec
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from infra import stack_names
from infra.notebook import PROJECT_FILES
from launcher.sagemaker_jobs.service_model import problems
from tests.launcher.helpers import created_jobs

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path("notebooks") / "ray_on_sagemaker.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"
PUSHED_TAG = "0123456789ab-5eed5eed"  # the shape of a `make push-image` tag (container/tag.py)
AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")


def execute(project: Path, overrides: dict) -> nbformat.NotebookNode:
    """The project's walkthrough after a run with these parameters (the kernel inherits this environment)."""
    notebook = nbformat.read(project / NOTEBOOK, as_version=4)
    (index,) = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    notebook.cells.insert(index + 1, new_code_cell("\n".join(f"{k} = {v!r}" for k, v in overrides.items())))
    folder = str((project / NOTEBOOK).parent)
    client = NotebookClient(notebook, kernel_name="python3", timeout=900, resources={"metadata": {"path": folder}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, when a cell fails
    return notebook


def outputs_of(notebook: nbformat.NotebookNode) -> tuple[list, str]:
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    return outputs, "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


@pytest.fixture()
def kernel_env(launcher_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel reaches moto as a notebook instance reaches AWS: credentials and region, nothing of ours."""
    for name in AWS_VARIABLES:
        monkeypatch.setenv(name, launcher_env[name])
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("IMAGE_URI", raising=False)


@pytest.fixture()
def executed(launcher_env: dict[str, str], kernel_env, tmp_path: Path) -> nbformat.NotebookNode:
    """The notebook after a run with the local executor on moto."""
    overrides = {
        "EXECUTOR": "local",
        "STACK_OUTPUTS": launcher_env["STACK_OUTPUTS"],
        "EPOCHS": 1,
        "BETA_1_GRID": "0.8,0.9",
        "BETA_2_GRID": "0.99",
        "PRICE_PER_HOUR": 0.5,
        "WORK": str(tmp_path / "runs"),
    }
    return execute(ROOT, overrides)


def test_the_walkthrough_runs_without_errors_and_shows_heatmaps_and_curves(executed, tmp_path: Path) -> None:
    outputs, text = outputs_of(executed)
    assert not [output for output in outputs if output.output_type == "error"]
    images = [base64.b64decode(o.data["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3 and all(image.startswith(PNG) for image in images)  # two heatmaps, the curves
    assert "tuning 2 trials" in text  # the grid here, and the same search as a job
    assert text.count("completed") >= 2 and "instance-hours, about $" in text
    jobs = sorted(path.name for path in (tmp_path / "runs" / "jobs").iterdir())
    assert len(jobs) == 2 and all(name.startswith("ray-on-sagemaker-") for name in jobs)
    for name in jobs:  # each job linked to its run: the local store that came back with its results
        assert f"{name}: sqlite:///{tmp_path / 'runs' / 'jobs' / name / 'output' / 'mlflow' / 'mlflow.db'}" in text


def notebook_instance_copy(target: Path) -> Path:
    """The files of the notebook's project asset: git's view of the checkout, less infra/notebook.py's exclusions."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    excluded = pathspec.GitIgnoreSpec.from_lines(PROJECT_FILES)
    for name in (name for name in listed if name and not excluded.match_file(name) and (ROOT / name).is_file()):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def test_in_sagemaker_mode_from_the_instances_copy_the_walkthrough_submits_both_jobs(
    deployed, kernel_env, session, record, tmp_path: Path
) -> None:
    project = notebook_instance_copy(tmp_path / "ray-on-sagemaker")
    assert not (project / "build").exists() and not (project / "cdk-outputs.json").exists()
    repository = deployed[stack_names.REPOSITORY_URI]
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "layers": []}'
    ecr, name = session.client("ecr"), repository.split("/", 1)[1]
    ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag=PUSHED_TAG)
    overrides = {"EXECUTOR": "sagemaker", "SEARCH_HERE": False, "EPOCHS": 1, "WORK": str(tmp_path / "runs")}
    ran = {}
    try:
        requests = created_jobs(record(lambda: ran.setdefault("notebook", execute(project, overrides))))
    finally:  # the stack's repository as other tests expect it: nothing pushed
        ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": PUSHED_TAG}])
    outputs, text = outputs_of(ran["notebook"])
    assert not [output for output in outputs if output.output_type == "error"]
    assert [request["HyperParameters"]["program"] for request in requests] == ["tune", "train"]
    for request in requests:
        assert request["AlgorithmSpecification"]["TrainingImage"] == f"{repository}:{PUSHED_TAG}"
        assert request["RoleArn"] == deployed[stack_names.TRAINING_ROLE] and problems(request) == []
    assert text.count(" completed") == 2 and "has no heatmap.png in its results" in text  # moto runs nothing
    assert not (tmp_path / "runs" / "tune-here").exists()  # nothing trained on this machine
    assert "this stack has no MLflow App" in text  # the moto deploy leaves the App out (tests/aws_fixtures.py)
