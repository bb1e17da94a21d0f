"""`make demo`: distributed training, then a 16-trial search, on real handwritten digits, locally.

    python -m launcher demo --root demo

Makes the digits data set in MNIST's format, lays out a SageMaker-shaped folder for each
job under --root (cleared first, so every demo starts from scratch) and runs train, then tune.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from launcher.local.run import local_store, run
from training.contract.layout import layout
from training.contract.programs import TRAIN, TUNE
from training.programs.demo_data import write_digits
from training.tracking.mlflow_run import EXPERIMENT_NAME, TRACKING_URI

# Settings that suit 1,437 training images: small batches, a higher rate, a few epochs.
COMMON = {"batch-size": "32", "learning-rate": "0.01"}
JOBS = {
    TRAIN.name: {"program": TRAIN.name, "epochs": "5", "num-workers": "2", **COMMON},
    TUNE.name: {"program": TUNE.name, "epochs": "3", **COMMON},
}


def run_demo(root: Path) -> int:
    """Both jobs, one after the other, in root (cleared first); the first failing job's exit status."""
    root = root.resolve()
    shutil.rmtree(root, ignore_errors=True)
    channels = write_digits(root / "data")
    print(f"== data: scikit-learn's handwritten digits as MNIST IDX files in {root / 'data'}", flush=True)
    for name, hyperparameters in JOBS.items():
        job = root / name
        layout(job, hyperparameters, channels)
        print(f"== {name}: SageMaker-shaped folder {job}", flush=True)
        tracking = {TRACKING_URI: local_store(job), EXPERIMENT_NAME: name, "TRAINING_JOB_NAME": f"demo-{name}"}
        status = run(job, job_env=tracking)
        if status != 0:
            failure = job / "output" / "failure"
            reason = failure.read_text().strip() if failure.exists() else "see the log above"
            print(f"== {name} failed (exit {status}): {reason}", flush=True)
            return status
    print(
        "\n== done\n"
        f"trained model:   {root / 'train/model/model.pth'} (metrics in model/metrics.json)\n"
        f"best tuned model: {root / 'tune/model/model.pth'}\n"
        f"search results:  {root / 'tune/output/data/results.csv'}\n"
        f"heatmap:         {root / 'tune/output/data/heatmap.png'}\n"
        f"experiments:     mlflow ui --backend-store-uri {local_store(root / 'train')} (and tune's beside it)",
        flush=True,
    )
    return 0
