"""A Ray Tune search of your own: a random search with early stopping over a small digit classifier.

It is an ordinary Ray program, written the way SageMaker script mode expects one: arguments as
`--name value`, data from the channel folders in SM_CHANNEL_TRAINING / SM_CHANNEL_TESTING (the four
MNIST IDX files, gzip or raw), the best configuration to SM_MODEL_DIR and the table of trials to
SM_OUTPUT_DATA_DIR. `ray.init()` joins the cluster that RAY_ADDRESS names (the job's, on SageMaker or
on any Ray cluster), so the same file runs with program=script, `make ray-submit` and Anyscale.

    python search.py --num-samples 8 --epochs 4          # with the SM_* variables set
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
from pathlib import Path

import numpy as np
import ray
import torch
from ray import tune
from ray.tune.schedulers import ASHAScheduler
from ray.tune.search.basic_variant import BasicVariantGenerator

FILES = {"images": "images-idx3-ubyte", "labels": "labels-idx1-ubyte"}


def read_idx(folder: Path, kind: str) -> np.ndarray:
    """The one IDX file of that kind in folder (gzip or raw) as a uint8 array."""
    path = next(p for p in sorted(folder.iterdir()) if FILES[kind] in p.name)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(read_idx(folder, "images").reshape(-1, 28 * 28).astype(np.float32) / 255.0)
    return images, torch.from_numpy(read_idx(folder, "labels").astype(np.int64))


def trial(config: dict, data: dict, epochs: int) -> None:
    """One configuration: a one-hidden-layer network trained with Adam, reporting test metrics per epoch."""
    torch.manual_seed(config["seed"])
    (train_x, train_y), (test_x, test_y) = data["train"], data["test"]
    model = torch.nn.Sequential(
        torch.nn.Linear(28 * 28, config["hidden"]), torch.nn.ReLU(), torch.nn.Linear(config["hidden"], 10)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    for epoch in range(1, epochs + 1):
        for batch in torch.randperm(len(train_y)).split(config["batch_size"]):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
        with torch.no_grad():
            logits = model(test_x)
            loss = torch.nn.functional.cross_entropy(logits, test_y).item()
            accuracy = (logits.argmax(1) == test_y).float().mean().item()
        tune.report({"epoch": epoch, "test_loss": loss, "test_accuracy": accuracy})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--num-samples", type=int, default=8, help="configurations to try")
    parser.add_argument("--epochs", type=int, default=4, help="most epochs per configuration")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search and of each model")
    parser.add_argument("--train-dir", type=Path, default=env("SM_CHANNEL_TRAINING"), help="training IDX files")
    parser.add_argument("--test-dir", type=Path, default=env("SM_CHANNEL_TESTING"), help="testing IDX files")
    parser.add_argument("--model-dir", type=Path, default=Path(env("SM_MODEL_DIR", "model")))
    parser.add_argument("--output-dir", type=Path, default=Path(env("SM_OUTPUT_DATA_DIR", "output")))
    args = parser.parse_args()
    if args.train_dir is None or args.test_dir is None:
        parser.error("give --train-dir and --test-dir (or set SM_CHANNEL_TRAINING and SM_CHANNEL_TESTING)")

    ray.init()
    data = {"train": load(args.train_dir), "test": load(args.test_dir)}
    space = {
        "lr": tune.loguniform(1e-4, 3e-2),
        "hidden": tune.choice([32, 64, 128]),
        "weight_decay": tune.loguniform(1e-6, 1e-3),
        "batch_size": tune.choice([32, 64]),
        "seed": args.seed,
    }
    tuner = tune.Tuner(
        tune.with_parameters(trial, data=data, epochs=args.epochs),
        param_space=space,
        tune_config=tune.TuneConfig(
            metric="test_loss",
            mode="min",
            num_samples=args.num_samples,
            search_alg=BasicVariantGenerator(random_state=args.seed),  # random search, reproducible
            scheduler=ASHAScheduler(max_t=args.epochs, grace_period=1),  # stops weak configurations early
        ),
        run_config=tune.RunConfig(name="digits-search", verbose=0),
    )
    grid = tuner.fit()
    best = grid.get_best_result()
    print(
        f"best: {best.config} test_loss={best.metrics['test_loss']:.4f}",
        f"test_accuracy={best.metrics['test_accuracy']:.4f}",
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    args.model_dir.mkdir(parents=True, exist_ok=True)
    grid.get_dataframe().to_csv(args.output_dir / "trials.csv", index=False)
    (args.model_dir / "best.json").write_text(
        json.dumps({"config": best.config, "metrics": best.metrics}, default=str, indent=2)
    )


if __name__ == "__main__":
    main()
