"""`--executor local` without a deployed stack: the job's code and data from your own folders.

With no stack there is no data bucket to lay the channels out from and no output path to send the
results to. So the channels are folders on this machine (a script's packed folder as `code`; each
folder in `--local-data` as a channel of its name, or the digits when no `--data` is given, as `make data`
uploads them), and model/ and output/ land in jobs/<job-name>/ as `make logs` unpacks them there.
The rest is the local executor's own (launcher/local/run.py): the same folder layout, the same entry point.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launcher.errors import LauncherError
from launcher.local.run import run
from launcher.sagemaker_jobs.metrics import final_metrics
from launcher.sagemaker_jobs.request import JobSpec
from launcher.sagemaker_jobs.results import Fetched, listed
from launcher.stack.code_channel import Packed
from training.contract.environment import FIRST_HOST
from training.contract.layout import layout
from training.contract.programs import SCRIPT
from training.programs.demo_data import write_digits

# What each archive SageMaker uploads holds: model.tar.gz the model folder, output.tar.gz output/data.
_PARTS = {"model": Path("model"), "output": Path("output") / "data"}


def run_here(
    spec: JobSpec, packed: Packed | None, data: Path | None, jobs_dir: Path, echo: Callable[[str], None] = print
) -> tuple[dict[str, Any], Fetched]:
    """Run the job on this machine from local folders; its description (DescribeTrainingJob's shape) and results."""
    name = f"{spec.job_name or spec.program}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder = jobs_dir / name
    with tempfile.TemporaryDirectory(prefix="job-") as scratch:
        channels = _channels(Path(scratch), packed, data)
        root = Path(scratch) / "opt-ml"
        layout(root, spec.hyperparameters, channels)
        echo(f"running {name} on this machine, channels {', '.join(sorted(channels))} from local folders")
        lines: list[str] = []

        def on_line(line: str) -> None:
            lines.append(line)
            echo(f"[{FIRST_HOST}] {line}")

        started = time.monotonic()
        status = run(root, on_line)
        job = {
            "TrainingJobName": name,
            "TrainingJobStatus": "Completed" if status == 0 else "Failed",
            "HyperParameters": spec.hyperparameters,
            "TrainingTimeInSeconds": int(time.monotonic() - started),
            "FinalMetricDataList": [{"MetricName": k, "Value": v} for k, v in final_metrics(lines).items()],
        }
        if status != 0:
            failure = root / "output" / "failure"
            reason = failure.read_text().strip() if failure.exists() else f"the entry point exited with {status}"
            return {**job, "FailureReason": reason}, Fetched(folder, {})
        return job, _kept(root, folder, spec.program == SCRIPT.name)


def _channels(scratch: Path, packed: Packed | None, data: Path | None) -> dict[str, Path]:
    """The job's channels as folders: each one in data (or the digits), and the packed code."""
    if data is None:
        channels = write_digits(scratch / "data")
    elif not data.is_dir():
        raise LauncherError(f"--local-data {data} is not a folder: give a folder of channel folders (training/, ...)")
    else:
        channels = {path.name: path for path in sorted(data.iterdir()) if path.is_dir()}
    if packed is not None:
        code = scratch / "code"
        for relative, path in packed.files.items():
            (code / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, code / relative)
        channels["code"] = code
    return channels


def _kept(root: Path, folder: Path, every_file: bool) -> Fetched:
    """The job's model and output data, copied where `make logs` unpacks a SageMaker job's archives."""
    files: dict[str, Path] = {}
    for part, source in _PARTS.items():
        shutil.copytree(root / source, folder / part, dirs_exist_ok=True)
        files.update(listed(folder, part, every_file))
    return Fetched(folder=folder, files=files)
