"""The fatigue CNN: a transformers ResNet classifier (alert / fatigued), its sizes per config,
what transfer learning unfreezes, and its probabilities in PyTorch or ONNX Runtime."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from training.artifacts import OnnxSession
from training.config import TrainOptions
from training.datasets import FATIGUE_LABELS
from training.evaluation import softmax

if TYPE_CHECKING:
    from transformers import ResNetForImageClassification

INPUT_NAME = "pixel_values"
BATCH = 64  # images per forward pass when scoring a list of inputs


@dataclass(frozen=True)
class FatigueConfig:
    image_size: int
    resize: int
    embedding_size: int
    hidden_sizes: tuple[int, ...]
    depths: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float


# Input size and network width per config. Small trains in minutes on two CPU cores; base is
# ResNet-18-like at the usual 224 px.
CONFIGS = {
    "tiny": FatigueConfig(
        image_size=32,
        resize=36,
        embedding_size=8,
        hidden_sizes=(8, 16),
        depths=(1, 1),
        epochs=2,
        batch_size=8,
        lr=3e-3,
    ),
    "small": FatigueConfig(
        image_size=112,
        resize=128,
        embedding_size=32,
        hidden_sizes=(32, 64, 128, 256),
        depths=(1, 1, 1, 1),
        epochs=24,
        batch_size=32,
        lr=2e-3,
    ),
    "base": FatigueConfig(
        image_size=224,
        resize=256,
        embedding_size=64,
        hidden_sizes=(64, 128, 256, 512),
        depths=(2, 2, 2, 2),
        epochs=30,
        batch_size=32,
        lr=1e-3,
    ),
}


def build_model(options: TrainOptions) -> ResNetForImageClassification:
    from transformers import ResNetConfig, ResNetForImageClassification

    id2label = dict(enumerate(FATIGUE_LABELS))
    label2id = {v: k for k, v in id2label.items()}
    if options.pretrained:
        return ResNetForImageClassification.from_pretrained(
            str(options.pretrained),
            num_labels=len(FATIGUE_LABELS),
            id2label=id2label,
            label2id=label2id,
            ignore_mismatched_sizes=True,
        )
    cfg = CONFIGS[options.config]
    # The number of labels follows from id2label.
    config = ResNetConfig(
        num_channels=3,
        embedding_size=cfg.embedding_size,
        hidden_sizes=list(cfg.hidden_sizes),
        depths=list(cfg.depths),
        layer_type="basic",
        id2label=id2label,
        label2id=label2id,
    )
    return ResNetForImageClassification(config)


def set_trainable(
    model: ResNetForImageClassification, *, epoch: int, options: TrainOptions, freeze_epochs: int
) -> str:
    """Transfer learning: encoder frozen first, then the last stage unfrozen. Scratch: all."""
    from training.torch_utils import set_transfer_trainable

    return set_transfer_trainable(
        model,
        encoder=model.resnet,
        top_layers=[model.resnet.encoder.stages[-1]],
        unfrozen="head+last_stage",
        epoch=epoch,
        options=options,
        freeze_epochs=freeze_epochs,
    )


def _batches(arrays: list[np.ndarray]) -> Iterator[np.ndarray]:
    for i in range(0, len(arrays), BATCH):
        yield np.concatenate(arrays[i : i + BATCH])


def torch_probabilities(
    model: ResNetForImageClassification, arrays: list[np.ndarray]
) -> np.ndarray:
    """Softmax over [alert, fatigued] of each input, from the PyTorch model."""
    import torch

    logits = []
    for batch in _batches(arrays):
        with torch.no_grad():
            logits.append(model(pixel_values=torch.from_numpy(batch)).logits.numpy())
    return softmax(np.concatenate(logits))


def onnx_probabilities(session: OnnxSession, arrays: list[np.ndarray]) -> np.ndarray:
    """Softmax over [alert, fatigued] of each input, from an exported variant."""
    return softmax(
        np.concatenate([session.run(None, {INPUT_NAME: batch})[0] for batch in _batches(arrays)])
    )
