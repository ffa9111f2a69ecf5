"""The Wav2Vec2 voice classifier: its sizes per config, building it from scratch or from a
pretrained checkpoint, what transfer learning unfreezes, and its class probabilities in
PyTorch or ONNX Runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from training.artifacts import OnnxSession
from training.config import TrainOptions
from training.evaluation import softmax

if TYPE_CHECKING:
    from transformers import Wav2Vec2ForSequenceClassification

INPUT_NAME = "input_values"


@dataclass(frozen=True)
class Wav2Vec2Settings:
    hidden_size: int
    layers: int
    heads: int
    intermediate: int
    conv_dim: tuple[int, ...]
    pos_kernel: int
    pos_groups: int
    proj: int
    epochs: int
    batch_size: int
    lr: float
    train_seconds: float  # length of the random training crops
    norm: str = "layer"  # of the convolutional front end: "layer" or "group"
    weighted_layer_sum: bool = False
    dropout: float = 0.1
    mask_time_prob: float = 0.05


CONFIGS = {
    "tiny": Wav2Vec2Settings(
        hidden_size=16,
        layers=1,
        heads=2,
        intermediate=32,
        conv_dim=(8, 8, 8, 8, 8, 8, 8),
        pos_kernel=8,
        pos_groups=2,
        proj=8,
        epochs=2,
        batch_size=4,
        lr=1e-3,
        train_seconds=1.0,
    ),
    "small": Wav2Vec2Settings(
        hidden_size=128,
        layers=2,
        heads=4,
        intermediate=256,
        conv_dim=(32, 32, 32, 32, 32, 32, 32),
        pos_kernel=32,
        pos_groups=4,
        proj=64,
        epochs=40,
        batch_size=16,
        lr=2e-3,
        train_seconds=2.5,
        # From scratch on ~1k clips the transformer alone barely moves off the class prior;
        # per-channel (group) norm on the first conv, a weighted sum over all layers (so the
        # head also sees the convolutional features) and no dropout let it learn in minutes.
        norm="group",
        weighted_layer_sum=True,
        dropout=0.0,
        mask_time_prob=0.0,
    ),
    "base": Wav2Vec2Settings(
        hidden_size=768,
        layers=12,
        heads=12,
        intermediate=3072,
        conv_dim=(512,) * 7,
        pos_kernel=128,
        pos_groups=16,
        proj=256,
        epochs=30,
        batch_size=8,
        lr=1e-4,
        train_seconds=6.0,
    ),
}


def build_model(options: TrainOptions, labels: list[str]) -> Wav2Vec2ForSequenceClassification:
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    id2label = dict(enumerate(labels))
    label2id = {v: k for k, v in id2label.items()}
    if options.pretrained:
        model = Wav2Vec2ForSequenceClassification.from_pretrained(
            str(options.pretrained),
            num_labels=len(labels),
            id2label=id2label,
            label2id=label2id,
            ignore_mismatched_sizes=True,
        )
        model.freeze_feature_encoder()
        return model
    cfg = CONFIGS[options.config]
    # The number of labels follows from id2label.
    config = Wav2Vec2Config(
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        intermediate_size=cfg.intermediate,
        conv_dim=cfg.conv_dim,
        conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        conv_stride=(5, 2, 2, 2, 2, 2, 2),
        feat_extract_norm=cfg.norm,
        do_stable_layer_norm=cfg.norm == "layer",
        use_weighted_layer_sum=cfg.weighted_layer_sum,
        hidden_dropout=cfg.dropout,
        attention_dropout=cfg.dropout,
        activation_dropout=cfg.dropout,
        final_dropout=cfg.dropout,
        num_conv_pos_embeddings=cfg.pos_kernel,
        num_conv_pos_embedding_groups=cfg.pos_groups,
        classifier_proj_size=cfg.proj,
        mask_time_prob=cfg.mask_time_prob,
        mask_time_length=5,
        layerdrop=0.0,
        id2label=id2label,
        label2id=label2id,
        vocab_size=4,
    )
    return Wav2Vec2ForSequenceClassification(config)


def set_trainable(
    model: Wav2Vec2ForSequenceClassification,
    *,
    epoch: int,
    options: TrainOptions,
    freeze_epochs: int,
) -> str:
    """Transfer learning: only the head first, then the top two transformer layers too."""
    from training.torch_utils import set_transfer_trainable

    return set_transfer_trainable(
        model,
        encoder=model.wav2vec2,
        top_layers=model.wav2vec2.encoder.layers[-2:],
        unfrozen="head+top_layers",
        epoch=epoch,
        options=options,
        freeze_epochs=freeze_epochs,
    )


def torch_probabilities(
    model: Wav2Vec2ForSequenceClassification, waves: list[np.ndarray]
) -> np.ndarray:
    """Softmax over the labels of each clip (one at a time: clips differ in length)."""
    import torch

    out = []
    for wave in waves:
        with torch.no_grad():
            out.append(model(input_values=torch.from_numpy(wave)).logits.numpy())
    return softmax(np.concatenate(out))


def onnx_probabilities(session: OnnxSession, waves: list[np.ndarray]) -> np.ndarray:
    """Softmax over the labels of each clip, from an exported variant."""
    return softmax(np.concatenate([session.run(None, {INPUT_NAME: wave})[0] for wave in waves]))
