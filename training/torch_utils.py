"""Shared pieces of the PyTorch trainers: seeding, checkpoints, schedules, ONNX export."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from training import artifacts

CHECKPOINT_FILE = "checkpoint.pt"
BEST_FILE = "best.pt"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(labels: list[int], n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights so the rarer class counts as much as the common one."""
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=n_classes).astype(np.float64)
    counts[counts == 0] = 1.0
    weights = counts.sum() / (n_classes * counts)
    return torch.tensor(weights, dtype=torch.float32)


def cosine_with_warmup(optimizer, *, warmup_steps: int, total_steps: int):
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def save_checkpoint(path: Path, state: Mapping) -> None:
    """Atomic torch.save: a crash mid-write never leaves a half checkpoint to resume from."""
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(dict(state), tmp)
    tmp.replace(path)


def load_checkpoint(path: Path, params: Mapping) -> dict | None:
    """The checkpoint in ``path`` if it was written by a run with the same parameters."""
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("params") != dict(params):
        return None
    return state


class LogitsOnly(torch.nn.Module):
    """Export wrapper: ONNX gets a plain logits tensor instead of a ModelOutput."""

    def __init__(self, model: torch.nn.Module, input_name: str):
        super().__init__()
        self.model = model
        self.input_name = input_name

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(**{self.input_name: inputs}).logits


def export_onnx(
    model: torch.nn.Module,
    example: torch.Tensor,
    path: Path,
    *,
    input_name: str,
    dynamic_axes: dict[int, str],
) -> None:
    """Export ``model`` (eval mode) to one self-contained ONNX file, written atomically."""
    model.eval()
    wrapper = LogitsOnly(model, input_name).eval()
    tmp_dir = path.parent / f".export-{path.stem}"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / path.name
    # The TorchScript exporter (dynamo=False) handles the dynamic audio axis of Wav2Vec2 and
    # passes the parity check; its deprecation and tracer notices are expected here.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            wrapper,
            (example,),
            str(tmp),
            input_names=[input_name],
            output_names=["logits"],
            dynamic_axes={input_name: dynamic_axes, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    artifacts.atomic_write_bytes(path, tmp.read_bytes())
    artifacts.remove_tree(tmp_dir)


def count_parameters(model: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))
