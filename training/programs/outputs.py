"""What a finished run leaves in the model folder, written so that it is all or nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from training.programs.loop import CHECKPOINT_FILE

MODEL_FILE = "model.pth"
SUMMARY_FILE = "metrics.json"


def save_model(checkpoint: Any, model_dir: Path, summary: dict[str, Any]) -> Path:
    """Write the checkpoint's weights as model.pth (a state_dict) and the run's summary as JSON.

    The summary gains `history`, the metrics of every epoch (the training curves). Each file is
    written under a temporary name and renamed, so a crash never leaves half a model.
    """
    with checkpoint.as_directory() as folder:
        state = torch.load(Path(folder) / CHECKPOINT_FILE, map_location="cpu", weights_only=True)
    summary = {**summary, "history": state.get("history", [])}
    model_dir.mkdir(parents=True, exist_ok=True)
    _replace(model_dir / SUMMARY_FILE, lambda path: path.write_text(json.dumps(summary, indent=2) + "\n"))
    _replace(model_dir / MODEL_FILE, lambda path: torch.save(state["model"], path))
    return model_dir / MODEL_FILE


def discard_model(model_dir: Path) -> None:
    """Remove what save_model writes, so that a failed run never looks like a finished one."""
    for name in (MODEL_FILE, SUMMARY_FILE):
        (model_dir / name).unlink(missing_ok=True)


def _replace(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    write(temporary)
    os.replace(temporary, path)
