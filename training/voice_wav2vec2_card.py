"""The Wav2Vec2 voice model's sidecar and model card, from what a finished run measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training import cards
from training.config import TrainOptions, TrainResult
from training.datasets import STRESS_MAP, GroupSplit
from training.shipped import ShippedModel
from training.voice_wav2vec2_model import CONFIGS, INPUT_NAME

TARGET_BALANCED_ACCURACY = 0.75
QUANT_TOLERANCE = 0.01


@dataclass(frozen=True)
class Wav2Vec2Run:
    """Everything the sidecar and the card of one run say."""

    options: TrainOptions
    shipped: ShippedModel
    labels: list[str]
    weights: dict[str, float]
    preprocessing: dict[str, Any]
    parameters: int
    n_samples: int  # clips with enough speech
    split: GroupSplit
    split_sizes: dict[str, int]  # clips in train / val / test
    metrics: dict[str, Any]  # the shipped variant on the held-out speakers
    variants: dict[str, Any]  # fp32 / int8: held-out metrics, size and time per clip
    training: dict[str, Any]


def variant_to_ship(variants: dict[str, Any]) -> str:
    """int8 when it loses at most ``QUANT_TOLERANCE`` stress balanced accuracy and is at least
    10% faster than fp32, else fp32."""
    if "int8" not in variants:
        return "fp32"
    fp32, int8 = variants["fp32"], variants["int8"]
    drop = (
        fp32["metrics"]["stress"]["balanced_accuracy"]
        - int8["metrics"]["stress"]["balanced_accuracy"]
    )
    faster = int8["ms_per_clip"] < 0.9 * fp32["ms_per_clip"]
    return "int8" if drop <= QUANT_TOLERANCE and faster else "fp32"


def training_settings(options: TrainOptions, *, epochs: int, batch_size: int) -> dict[str, Any]:
    """How the network was fitted, before the fit's own record (``torch_utils.fit_record``)."""
    cfg = CONFIGS[options.config]
    return {
        "config": options.config,
        "scheme": options.scheme,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": cfg.lr,
        "train_crop_seconds": cfg.train_seconds,
        "optimizer": "AdamW, weight decay 1e-2, cosine schedule with one warm-up epoch",
        "loss": "cross-entropy with inverse-frequency class weights",
        "augmentation": "random time shift (crop position), Gaussian noise at 10-30 dB SNR "
        "on half the clips"
        + (", SpecAugment-style time masking inside Wav2Vec2" if cfg.mask_time_prob > 0 else ""),
    }


def sidecar(run: Wav2Vec2Run) -> dict[str, Any]:
    stress = run.metrics["stress"]
    return run.shipped.sidecar(
        {
            "input_name": INPUT_NAME,
            "output_name": "logits",
            "labels": run.labels,
            "score_weights": run.weights,
            "emotion_mapping": dict(STRESS_MAP),
            "preprocessing": run.preprocessing,
            "output": "probabilities",
            "quantization": "dynamic-int8-matmul" if run.shipped.variant == "int8" else "none",
        },
        metrics={
            "stress_balanced_accuracy": stress["balanced_accuracy"],
            "stress_accuracy": stress["accuracy"],
            "stress_roc_auc": stress["roc_auc"],
        },
        training={k: v for k, v in run.training.items() if k != "history"},
    )


def model_card(run: Wav2Vec2Run) -> dict[str, Any]:
    options, split = run.options, run.split
    cfg = CONFIGS[options.config]
    bal = run.metrics["stress"]["balanced_accuracy"]
    return run.shipped.card(
        summary="Scores vocal stress from a short speech clip. Emotions are mapped to "
        "stress: angry, fearful, sad, disgust -> stressed; neutral, calm, happy -> not "
        "stressed; surprised is ambiguous and left out of training and evaluation.",
        output_description="softmax over labels; score = sum of p(label) x score_weights",
        details={
            "model": {
                "architecture": "transformers Wav2Vec2ForSequenceClassification "
                + (
                    "(pretrained checkpoint)"
                    if options.pretrained
                    else f"(hidden {cfg.hidden_size}, {cfg.layers} layers, conv "
                    f"{list(cfg.conv_dim)})"
                ),
                "parameters": run.parameters,
                "initialisation": cards.initialisation(options.pretrained),
                "preprocessing": run.preprocessing,
            },
            "data": {
                **cards.DATA_SOURCES["voice"],
                "n_samples": run.n_samples,
                "label_mapping": dict(STRESS_MAP) if options.scheme == "binary" else run.weights,
            },
            "split": {
                "method": "seeded split by speaker (actor): no speaker appears in two parts; "
                "about 70% of speakers train, 10% validation (best epoch), 20% test",
                "seed": options.seed,
                **run.split_sizes,
                "train_groups": split.train,
                "val_groups": split.val,
                "test_groups": split.test,
            },
            "metrics": run.metrics,
            "targets": [
                {
                    "name": "stress balanced accuracy on held-out speakers",
                    "required": TARGET_BALANCED_ACCURACY,
                    "measured": bal,
                    "met": bal >= TARGET_BALANCED_ACCURACY,
                }
            ],
            "variants": run.variants,
            "variant_choice": f"Shipped {run.shipped.variant}: int8 (MatMul weights only) "
            f"ships when it loses at most {QUANT_TOLERANCE:.0%} balanced accuracy and is at "
            "least 10% faster.",
            "training": run.training,
            "limits": [
                "Trained from scratch on about a thousand clips (no pretrained speech weights "
                "were available): a small model that has only heard acted speech. Fine-tuning "
                "self-supervised weights (--pretrained DIR) is the way to a sturdier model.",
                "RAVDESS is acted emotion by 24 North-American actors reading two sentences; "
                "real workplace speech is subtler, so scores are a rough signal.",
                f"Only {len(split.test)} held-out speakers: the balanced accuracy carries a "
                "wide uncertainty (several points); another seed gives other speakers and "
                "figures.",
                f"The scorer keeps the detected speech and crops it to its central "
                f"{run.preprocessing['max_seconds']} s; training used random "
                f"{cfg.train_seconds} s windows of the same speech and was evaluated on whole "
                "clips.",
            ],
        },
    )


def result(run: Wav2Vec2Run) -> TrainResult:
    return run.shipped.result(sidecar=sidecar(run), card=model_card(run))
