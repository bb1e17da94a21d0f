"""`make demo`: distributed training, then a 16-trial search, on real handwritten digits, locally.

    python -m launcher.local.demo --root demo

Makes the digits data set in MNIST's format, lays out a SageMaker-shaped folder for each
job under --root (cleared first, so every demo starts from scratch) and runs train, then tune.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from launcher.local.run import local_store, run
from training.contract.layout import layout
from training.tracking.mlflow_run import EXPERIMENT_NAME, TRACKING_URI
from training.programs.demo_data import write_digits

# Settings that suit 1,437 training images: small batches, a higher rate, a few epochs.
COMMON = {"batch-size": "32", "learning-rate": "0.01"}
TRAIN = {"program": "train", "epochs": "5", "num-workers": "2", **COMMON}
TUNE = {"program": "tune", "epochs": "3", **COMMON}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("demo"), help="folder for the data and both jobs")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    shutil.rmtree(root, ignore_errors=True)
    channels = write_digits(root / "data")
    print(f"== data: scikit-learn's handwritten digits as MNIST IDX files in {root / 'data'}", flush=True)
    for name, hyperparameters in (("train", TRAIN), ("tune", TUNE)):
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


if __name__ == "__main__":
    sys.exit(main())
