"""Shared pieces of the PyTorch trainers: the run's start, seeding, checkpoints, schedules, the
fit loop, ONNX export of the fp32 and int8 variants, and what the card records of the fit."""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from training import artifacts
from training.config import TrainOptions

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


def cosine_with_warmup(
    optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def save_checkpoint(path: Path, state: Mapping[str, object]) -> None:
    """Atomic torch.save: a crash mid-write never leaves a half checkpoint to resume from."""
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(dict(state), tmp)
    tmp.replace(path)


def load_checkpoint(path: Path, params: Mapping[str, object]) -> dict[str, Any] | None:
    """The checkpoint in ``path`` if it was written by a run with the same parameters."""
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("params") != dict(params):
        return None
    return state


@dataclass(frozen=True)
class RunStart:
    started: float  # time.monotonic() at the start, for the card's duration
    epochs: int
    batch_size: int


def start_run(options: TrainOptions, *, epochs: int, batch_size: int) -> RunStart:
    """Thread count and seeds set, the work folder made; ``epochs`` and ``batch_size`` are the
    config's defaults, which the options override when given."""
    started = time.monotonic()
    torch.set_num_threads(max(1, options.threads))
    seed_everything(options.seed)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    return RunStart(
        started=started,
        epochs=options.epochs or epochs,
        batch_size=options.batch_size or batch_size,
    )


def set_transfer_trainable(
    model: torch.nn.Module,
    *,
    encoder: torch.nn.Module,
    top_layers: Iterable[torch.nn.Module],
    unfrozen: str,
    epoch: int,
    options: TrainOptions,
    freeze_epochs: int,
) -> str:
    """What trains in ``epoch``, by name. From scratch: everything ("all"). Fine-tuning a
    pretrained ``encoder``: only the head for the first ``freeze_epochs`` ("head"), then also
    its ``top_layers`` (``unfrozen``)."""
    if not options.pretrained:
        for p in model.parameters():
            p.requires_grad = True
        return "all"
    for p in encoder.parameters():
        p.requires_grad = False
    if epoch < freeze_epochs:
        return "head"
    for layer in top_layers:
        for p in layer.parameters():
            p.requires_grad = True
    return unfrozen


@dataclass(frozen=True)
class FineTuneResult:
    history: list[dict[str, Any]]
    best_epoch: int  # 0-based; the model holds this epoch's weights
    freeze_epochs: int


def fine_tune(
    model: torch.nn.Module,
    *,
    name: str,
    options: TrainOptions,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    train_y: list[int],
    n_classes: int,
    input_name: str,
    make_batch: Callable[[list[int], random.Random], np.ndarray],
    validate: Callable[[], float],
    score_key: str,
    set_trainable: Callable[..., str],
    max_grad_norm: float | None = None,
) -> FineTuneResult:
    """Fit ``model`` on the training set, keeping the epoch with the best validation score.

    With ``options.pretrained`` the first third of the epochs trains only what
    ``set_trainable`` leaves unfrozen at ``lr``, the rest at ``lr / 10`` with the next layers
    unfrozen; each phase has its own warm-up and cosine schedule. ``make_batch(indices, rng)``
    builds one input array from training indices (augmenting with ``rng``); ``validate()``
    scores the model (already in eval mode) on the validation set. Every epoch writes a
    resumable checkpoint to ``options.out_dir``; a run with the same parameters resumes after
    its last finished epoch. On return the model holds the best epoch's weights, in eval mode.
    """
    work = options.out_dir
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights(train_y, n_classes))
    freeze_epochs = max(1, epochs // 3) if options.pretrained else 0
    steps_per_epoch = max(1, (len(train_y) + batch_size - 1) // batch_size)
    params = options.as_params()

    def make_optimizer(
        epoch: int,
    ) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
        set_trainable(model, epoch=epoch, options=options, freeze_epochs=freeze_epochs)
        phase_lr = lr if not options.pretrained or epoch < freeze_epochs else lr / 10
        opt = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad],
            lr=phase_lr,
            weight_decay=weight_decay,
        )
        phase_epochs = epochs - epoch if epoch >= freeze_epochs else freeze_epochs
        sched = cosine_with_warmup(
            opt, warmup_steps=steps_per_epoch, total_steps=steps_per_epoch * phase_epochs
        )
        return opt, sched

    start_epoch, best = 0, -1.0
    history: list[dict[str, Any]] = []
    state = load_checkpoint(work / CHECKPOINT_FILE, params)
    optimizer, scheduler = make_optimizer(0)
    if state is not None:
        start_epoch, best, history = state["epoch"] + 1, state["best"], state["history"]
        model.load_state_dict(state["model"])
        optimizer, scheduler = make_optimizer(start_epoch if options.pretrained else 0)
        if state.get("phase_start") == (start_epoch >= freeze_epochs):
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
    rng = random.Random(options.seed)
    for epoch in range(start_epoch, epochs):
        if options.pretrained and epoch == freeze_epochs:
            optimizer, scheduler = make_optimizer(epoch)
        model.train()
        rng.seed(options.seed * 1000 + epoch)
        order = list(range(len(train_y)))
        rng.shuffle(order)
        total = 0.0
        bar = tqdm(
            range(0, len(order), batch_size),
            desc=f"{name} epoch {epoch + 1}/{epochs}",
            disable=not options.progress,
            leave=False,
        )
        for start in bar:
            idx = order[start : start + batch_size]
            batch = make_batch(idx, rng)
            target = torch.tensor([train_y[i] for i in idx])
            logits = model(**{input_name: torch.from_numpy(batch)}).logits
            loss = loss_fn(logits, target)
            optimizer.zero_grad()
            loss.backward()
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(idx)
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
        model.eval()
        score = validate()
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": round(total / len(order), 4),
                score_key: round(score, 4),
            }
        )
        print(f"{name} epoch {epoch + 1}/{epochs}: {history[-1]}", flush=True)
        if score > best:
            best = score
            save_checkpoint(work / BEST_FILE, {"model": model.state_dict(), "epoch": epoch})
        save_checkpoint(
            work / CHECKPOINT_FILE,
            {
                "params": params,
                "epoch": epoch,
                "best": best,
                "history": history,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "phase_start": epoch + 1 >= freeze_epochs,
            },
        )

    best_state = torch.load(work / BEST_FILE, map_location="cpu", weights_only=False)
    model.load_state_dict(best_state["model"])
    model.eval()
    return FineTuneResult(
        history=history, best_epoch=int(best_state["epoch"]), freeze_epochs=freeze_epochs
    )


class LogitsOnly(torch.nn.Module):
    """Export wrapper: ONNX gets a plain logits tensor instead of a ModelOutput."""

    def __init__(self, model: torch.nn.Module, input_name: str) -> None:
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


@dataclass(frozen=True)
class ExportedVariants:
    paths: dict[str, Path]  # "fp32", and "int8" when quantized
    parity: float  # max abs difference of the fp32 ONNX from the PyTorch model


def export_variants(
    model: torch.nn.Module,
    *,
    stem: str,
    work_dir: Path,
    example: torch.Tensor,
    input_name: str,
    dynamic_axes: dict[int, str],
    parity_inputs: list[np.ndarray],
    quantize: Callable[[Path, Path], None] | None,
) -> ExportedVariants:
    """``stem.fp32.onnx``, checked against ``model`` on ``parity_inputs`` (``ParityError`` when
    it differs), and ``stem.int8.onnx`` made from it by ``quantize(fp32, int8)`` when given."""
    fp32_path = work_dir / f"{stem}.fp32.onnx"
    export_onnx(model, example, fp32_path, input_name=input_name, dynamic_axes=dynamic_axes)
    parity = artifacts.check_parity(
        fp32_path,
        input_name,
        parity_inputs,
        lambda a: model(**{input_name: torch.from_numpy(a)}).logits.detach().numpy(),
    )
    paths = {"fp32": fp32_path}
    if quantize is not None:
        int8_path = work_dir / f"{stem}.int8.onnx"
        quantize(fp32_path, int8_path)
        paths["int8"] = int8_path
    return ExportedVariants(paths=paths, parity=parity)


def fit_record(
    fit: FineTuneResult, *, options: TrainOptions, run: RunStart, parity: float
) -> dict[str, Any]:
    """What a PyTorch model's card says of its fitting, after the trainer's own settings."""
    return {
        "pretrained": str(options.pretrained) if options.pretrained else None,
        "freeze_epochs": fit.freeze_epochs,
        "best_epoch": fit.best_epoch + 1,
        "history": fit.history,
        "seed": options.seed,
        "max_samples": options.max_samples,
        "duration_s": round(time.monotonic() - run.started, 1),
        "parity_max_abs_diff": parity,
    }
