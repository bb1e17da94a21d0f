"""The training loop, written once and run by every Ray Train worker and every Ray Tune trial.

What differs between the two (rank, device, how to report and checkpoint) comes in a
`Session`; everything about the optimisation itself lives here.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, Dataset, DistributedSampler, SequentialSampler

from training.contract.hyperparameters import Hyperparameters
from training.contract.metric_line import format_metrics
from training.errors import JobError
from training.programs.mnist import MEAN, STD, Digits
from training.programs.model import Net

CHECKPOINT_FILE = "checkpoint.pt"


@dataclasses.dataclass(frozen=True)
class Session:
    """How one worker or trial talks to Ray: its place in the group, its device, its reports."""

    rank: int
    world_size: int
    device: torch.device
    prepare_model: Callable[[torch.nn.Module], torch.nn.Module]
    prepare_loader: Callable[[DataLoader], DataLoader]
    get_checkpoint: Callable[[], Any]
    report: Callable[[dict[str, float], Path | None], None]
    log_steps: bool = True

    @classmethod
    def single_process(
        cls,
        device: torch.device,
        get_checkpoint: Callable[[], Any],
        report: Callable[[dict[str, float], Path | None], None],
    ) -> Session:
        """One process training alone (a Tune trial, the benchmark's plain loop): no DDP, quiet steps."""
        return cls(
            rank=0,
            world_size=1,
            device=device,
            prepare_model=lambda model: model.to(device),
            prepare_loader=lambda loader: loader,
            get_checkpoint=get_checkpoint,
            report=report,
            log_steps=False,
        )


class _IndexedDigits(Dataset):
    """Serves a whole batch per lookup: one vectorised numpy index instead of N small ones."""

    def __init__(self, digits: Digits) -> None:
        self.digits = digits

    def __len__(self) -> int:
        return len(self.digits)

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(self.digits.images[indices]), torch.from_numpy(self.digits.labels[indices]).long()


def to_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) to the normalised float (B, 1, 28, 28) the model takes, only for this batch."""
    return ((images.float() / 255.0 - MEAN) / STD).unsqueeze(1)


def run_loop(hp: Hyperparameters, train: Digits, test: Digits, session: Session, threads: int) -> dict[str, float]:
    """Train for hp.epochs, resuming after the last checkpointed epoch; return the final metrics.

    Each checkpoint also carries every epoch's metrics so far, so that the model's summary can hold
    the training curves even when the job was resumed halfway (see outputs.save_model).
    """
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(hp.seed)
    model = Net()
    optimizer = torch.optim.Adam(
        model.parameters(), lr=hp.learning_rate, betas=(hp.beta_1, hp.beta_2), weight_decay=hp.weight_decay
    )
    first_epoch, history = _restore(model, optimizer, session)
    metrics = history[-1] if history else {}
    model = session.prepare_model(model)
    _move_optimizer_state(optimizer, session.device)
    sampler = DistributedSampler(_IndexedDigits(train), session.world_size, session.rank, shuffle=True, seed=hp.seed)
    train_loader = _loader(train, BatchSampler(sampler, hp.batch_size, drop_last=False), session)
    test_loader = _loader(test, BatchSampler(SequentialSampler(range(len(test))), hp.test_batch_size, False), session)
    for epoch in range(first_epoch, hp.epochs + 1):
        sampler.set_epoch(epoch)
        started = time.perf_counter()
        train_loss = _train_epoch(model, optimizer, train_loader, epoch, hp.log_interval, session)
        seconds = time.perf_counter() - started
        test_loss, accuracy = evaluate(model, test_loader)
        metrics = {
            "epoch": epoch,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "test_accuracy": accuracy,
            "epoch_seconds": seconds,
        }
        if session.rank == 0:
            print(format_metrics(metrics), flush=True)
        history.append(metrics)
        _report(model, optimizer, history, session)
    return metrics


def evaluate(model: torch.nn.Module, loader: DataLoader) -> tuple[float, float]:
    """Mean loss and accuracy over the whole loader."""
    model.eval()
    loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            output = model(to_input(images))
            loss += F.nll_loss(output, labels, reduction="sum").item()
            correct += (output.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
    return loss / seen, correct / seen


def _train_epoch(model, optimizer, loader: DataLoader, epoch: int, log_interval: int, session: Session) -> float:
    model.train()
    total, batches = 0.0, len(loader)
    for step, (images, labels) in enumerate(loader, start=1):
        optimizer.zero_grad()
        loss = F.nll_loss(model(to_input(images)), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        if session.log_steps and session.rank == 0 and (step % log_interval == 0 or step == batches):
            print(f"epoch={epoch} step={step}/{batches} loss={loss.item():.4f}", flush=True)
    if not math.isfinite(total):
        raise JobError(f"the training loss became {total} in epoch {epoch}; try a lower learning-rate")
    return total / max(1, batches)


def _loader(digits: Digits, batches: BatchSampler, session: Session) -> DataLoader:
    # batch_size=None: the sampler yields whole index batches and the dataset serves them at once.
    return session.prepare_loader(DataLoader(_IndexedDigits(digits), sampler=batches, batch_size=None))


# What torch.load and load_state_dict raise on a truncated, corrupt or foreign checkpoint file.
_UNREADABLE_CHECKPOINT = (OSError, EOFError, KeyError, TypeError, ValueError, RuntimeError, pickle.UnpicklingError)


def _restore(model: torch.nn.Module, optimizer: torch.optim.Optimizer, session: Session) -> tuple[int, list[dict]]:
    """Load the latest checkpoint, if any; return the first epoch still to run and the metrics of those done.

    A checkpoint that cannot be loaded is a JobError: SageMaker restores the folder from S3, where a
    partial upload or another job's files can sit, and the user needs the path, not a traceback.
    """
    checkpoint = session.get_checkpoint()
    if checkpoint is None:
        return 1, []
    with checkpoint.as_directory() as folder:
        path = Path(folder) / CHECKPOINT_FILE
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            saved_epoch, history = int(state["epoch"]), list(state.get("history") or [state["metrics"]])
        except _UNREADABLE_CHECKPOINT as error:
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0].split(". ")[0]
            raise JobError(
                f"the checkpoint {path} cannot be resumed from ({reason}); "
                "delete the job's checkpoint folder to start over"
            ) from None
    if session.rank == 0:
        print(f"resuming after epoch {saved_epoch} from the latest checkpoint", flush=True)
    return saved_epoch + 1, history


def _move_optimizer_state(optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """A restored optimizer's moments load on the CPU; they must sit where the parameters are."""
    for state in optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and key != "step":
                state[key] = value.to(device)


def _report(model: torch.nn.Module, optimizer, history: list[dict[str, float]], session: Session) -> None:
    """Every rank reports the latest epoch (it is a barrier); only rank 0 attaches the checkpoint."""
    metrics = history[-1]
    if session.rank != 0:
        session.report(metrics, None)
        return
    state = {
        "model": getattr(model, "module", model).state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": metrics["epoch"],
        "metrics": metrics,
        "history": history,
    }
    with tempfile.TemporaryDirectory(prefix="checkpoint-") as folder:
        torch.save(state, Path(folder) / CHECKPOINT_FILE)
        session.report(metrics, Path(folder))
