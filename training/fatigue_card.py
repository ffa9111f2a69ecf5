"""The fatigue model's sidecar and model card, from what a finished run measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inference import fatigue as pipeline
from inference.sessions import REDUCED_RANGE_QUANTIZATION
from training import cards, dedup
from training.config import TrainOptions, TrainResult
from training.datasets import FATIGUE_LABEL_MAP, FATIGUE_LABELS, ImageSample
from training.fatigue_model import CONFIGS, INPUT_NAME
from training.shipped import ShippedModel

TARGET_ACCURACY = 0.90
QUANT_TOLERANCE = 0.01  # int8 ships when it loses at most this much accuracy on any subset


@dataclass(frozen=True)
class FatigueRun:
    """Everything the sidecar and the card of one run say."""

    options: TrainOptions
    shipped: ShippedModel
    preprocessing: dict[str, Any]
    parameters: int
    samples: list[ImageSample]  # every labelled sample, before the split
    split_sizes: dict[str, int]  # train / val / test, the photos the gate refused left out
    metrics: dict[str, Any]  # the whole pipeline on the test split, per subset
    combined_on_faces: dict[str, Any]
    cnn_metrics: dict[str, Any]  # the shipped CNN alone, on the crops
    combiner: dict[str, Any]
    face_gate: dict[str, Any]
    robustness: dict[str, Any]
    variants: dict[str, Any]  # fp32 / int8: held-out metrics and size
    training: dict[str, Any]


def variant_to_ship(variants: dict[str, Any]) -> str:
    """int8 when it loses at most ``QUANT_TOLERANCE`` accuracy on every subset, else fp32."""
    if "int8" not in variants:
        return "fp32"
    fp32, int8 = variants["fp32"]["metrics"], variants["int8"]["metrics"]
    drops = [fp32[k]["accuracy"] - int8[k]["accuracy"] for k in fp32]
    return "int8" if max(drops) <= QUANT_TOLERANCE else "fp32"


def training_settings(options: TrainOptions, *, epochs: int, batch_size: int) -> dict[str, Any]:
    """How the CNN was fitted, before the fit's own record (``torch_utils.fit_record``)."""
    return {
        "config": options.config,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": CONFIGS[options.config].lr,
        "optimizer": "AdamW, weight decay 1e-4, cosine schedule with one warm-up epoch",
        "loss": "cross-entropy with inverse-frequency class weights",
        "augmentation": "random crop 80-100%, horizontal flip, brightness/contrast/colour jitter",
    }


def _subsets(run: FatigueRun) -> list[str]:
    return [k for k in run.metrics if k != "all"]


def sidecar(run: FatigueRun) -> dict[str, Any]:
    metrics = run.metrics
    return run.shipped.sidecar(
        {
            "input_name": INPUT_NAME,
            "output_name": "logits",
            "labels": list(FATIGUE_LABELS),
            "score_weights": {"alert": 0.0, "fatigued": 1.0},
            "preprocessing": run.preprocessing,
            "pipeline": pipeline.PIPELINE,
            "combiner": run.combiner,
            "output": "probabilities",
            "quantization": (
                REDUCED_RANGE_QUANTIZATION if run.shipped.variant == "int8" else "none"
            ),
        },
        metrics={
            "accuracy": metrics["all"]["accuracy"],
            "balanced_accuracy": metrics["all"]["balanced_accuracy"],
            **{f"{s}_accuracy": metrics[s]["accuracy"] for s in _subsets(run)},
        },
        training={k: v for k, v in run.training.items() if k != "history"},
    )


def model_card(run: FatigueRun) -> dict[str, Any]:
    options, samples, metrics = run.options, run.samples, run.metrics
    cfg = CONFIGS[options.config]
    size = run.preprocessing["image_size"]
    return run.shipped.card(
        summary="P(fatigued) of a face photo: the face gate refuses photos without one "
        "usable face; the CNN scores landmark crops (the face for yawning, each eye for "
        "closed eyes) and a logistic combiner fitted on the validation split turns them and "
        "the mouth aspect ratio into P(yawn) and P(eyes closed); P(fatigued) = 1 - (1 - "
        "P(yawn)) (1 - P(eyes closed)).",
        output_description="CNN: softmax over [alert, fatigued] of one crop; the check-in "
        "score is the combiner's P(fatigued) (inference.fatigue)",
        details={
            "model": {
                "architecture": f"transformers ResNetForImageClassification (basic blocks, "
                f"widths {list(cfg.hidden_sizes)}, depths {list(cfg.depths)}), "
                f"input {size}x{size}",
                "parameters": run.parameters,
                "initialisation": cards.initialisation(options.pretrained),
                "preprocessing": run.preprocessing,
            },
            "data": {
                **cards.DATA_SOURCES["fatigue"],
                "n_samples": len(samples),
                "per_subset": {
                    sub: {
                        lab: sum(1 for s in samples if s.subset == sub and s.label == lab)
                        for lab in FATIGUE_LABELS
                    }
                    for sub in sorted({s.subset for s in samples})
                },
                "label_mapping": dict(FATIGUE_LABEL_MAP),
            },
            "split": {
                "method": "seeded split stratified by subset and class, about 70% train, 10% "
                "validation (best epoch), 20% test, with near-duplicate images (perceptual "
                f"hash within {dedup.DEFAULT_MAX_DISTANCE} of 64 bits, chained) kept on one "
                "side. The images carry no subject ids, so one person can still appear in "
                "train and test in frames that do not look alike.",
                "seed": options.seed,
                **run.split_sizes,
            },
            "metrics": metrics,
            "metrics_note": "yawn: P(yawn) against yawn/no_yawn photos; eyes: P(eyes closed) "
            "against closed/open eye images; both through the whole check-in pipeline.",
            "combined_p_fatigued_against_yawn_labels": run.combined_on_faces,
            "cnn_metrics_on_crops": run.cnn_metrics,
            "combiner": run.combiner,
            "face_gate": run.face_gate,
            "robustness": run.robustness,
            "targets": [
                {
                    "name": f"accuracy on held-out {subset} images",
                    "required": TARGET_ACCURACY,
                    "measured": metrics[subset]["accuracy"],
                    "met": metrics[subset]["accuracy"] >= TARGET_ACCURACY,
                }
                for subset in _subsets(run)
            ],
            "variants": run.variants,
            "variant_choice": f"Shipped {run.shipped.variant}: int8 ships when it loses at "
            f"most {QUANT_TOLERANCE:.0%} accuracy on every subset of the held-out split.",
            "training": run.training,
            "limits": [
                "Few subjects and no subject ids: grouping look-alike frames keeps the same "
                "shot out of both sides, not the same person; accuracy on new people and "
                "cameras will be lower than reported.",
                "Trained from scratch on about two thousand images (no pretrained weights "
                "were available); a ResNet-50 fine-tuned with --pretrained is expected to be "
                "sturdier.",
                "Yawning and closed eyes are momentary signs; one photo is a weak proxy for "
                "fatigue.",
                f"Input is {size}x{size} px; the scorer resizes as the sidecar's "
                "preprocessing says.",
            ],
        },
    )


def result(run: FatigueRun) -> TrainResult:
    return run.shipped.result(sidecar=sidecar(run), card=model_card(run))
