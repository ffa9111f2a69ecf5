"""Voice stress: a Wav2Vec2 sequence classifier on the gated speech, split by speaker.

The alternative to the feature model of ``training.voice`` (``--architecture wav2vec2``): from
scratch on the starter data, or fine-tuned from a local pretrained checkpoint.
"""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from training import artifacts, voice_wav2vec2_card
from training.config import TrainOptions, TrainResult
from training.shipped import ShippedModel, model_stem
from training.voice_data import (
    label_index,
    labelled_samples,
    labels_for,
    load_waveforms,
    part_of,
    preprocessing,
    speaker_split,
)
from training.voice_wav2vec2_evaluation import evaluate, stress_metrics
from training.voice_wav2vec2_model import (
    CONFIGS,
    INPUT_NAME,
    build_model,
    onnx_probabilities,
    set_trainable,
    torch_probabilities,
)


def _augment(wave: np.ndarray, length: int, rng: random.Random) -> np.ndarray:
    """Random time shift (crop position) and background noise at 10-30 dB SNR, renormalised.

    Gain alone is not used: the input is normalised to unit variance, which undoes it.
    """
    samples = wave[0]
    start = rng.randint(0, samples.size - length)
    crop = samples[start : start + length].astype(np.float32, copy=True)
    if rng.random() < 0.5:
        snr_db = rng.uniform(10, 30)
        noise = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(length)
        crop += (noise * (crop.std() / 10 ** (snr_db / 20))).astype(np.float32)
    crop -= crop.mean()
    crop /= np.sqrt(crop.var() + 1e-7)
    return crop


def _quantize(fp32: Path, int8: Path) -> None:
    from training import quantization

    quantization.dynamic_int8_matmul_variant(fp32, int8)


def train(options: TrainOptions) -> TrainResult:
    """Fit, export fp32 + dynamic-int8 ONNX, evaluate on held-out speakers, write the files."""
    import torch

    from training import torch_utils as tu

    cfg = CONFIGS[options.config]
    run = tu.start_run(options, epochs=cfg.epochs, batch_size=cfg.batch_size)
    labels, weights = labels_for(options.scheme)
    prep = preprocessing()
    work = options.out_dir

    samples = labelled_samples(options)
    split = speaker_split(samples, seed=options.seed, held_out=options.held_out)
    waves, samples, rejected = load_waveforms(samples, prep)
    by_part: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for i, s in enumerate(samples):
        by_part[part_of(s, split)].append(i)
    train_w = [waves[i] for i in by_part["train"]]
    train_y = [label_index(samples[i], options.scheme, labels) for i in by_part["train"]]
    val_w = [waves[i] for i in by_part["val"]]
    val_s = [samples[i] for i in by_part["val"]]
    test_w = [waves[i] for i in by_part["test"]]
    test_s = [samples[i] for i in by_part["test"]]

    model = build_model(options, labels)
    max_len = int(cfg.train_seconds * prep["sample_rate"])

    def make_batch(idx: list[int], rng: random.Random) -> np.ndarray:
        # One crop length per batch (the shortest clip, capped): no padding, no masks, so
        # training sees whole unpadded clips exactly like scoring does.
        length = min(max_len, *(train_w[i].shape[1] for i in idx))
        return np.stack([_augment(train_w[i], length, rng) for i in idx])

    def validate() -> float:
        val_probs = torch_probabilities(model, val_w)
        return stress_metrics(val_probs, val_s, labels, weights)["balanced_accuracy"]

    fit = tu.fine_tune(
        model,
        name="voice",
        options=options,
        epochs=run.epochs,
        batch_size=run.batch_size,
        lr=cfg.lr,
        weight_decay=1e-2,
        train_y=train_y,
        n_classes=len(labels),
        input_name=INPUT_NAME,
        make_batch=make_batch,
        validate=validate,
        score_key="val_stress_balanced_accuracy",
        set_trainable=set_trainable,
        max_grad_norm=5.0,
    )
    exported = tu.export_variants(
        model,
        stem=model_stem("voice", options.version),
        work_dir=work,
        example=torch.zeros(1, prep["sample_rate"]),
        input_name=INPUT_NAME,
        dynamic_axes={0: "batch", 1: "time"},
        parity_inputs=test_w[:8],
        quantize=_quantize if options.quantize else None,
    )
    variants: dict[str, dict[str, Any]] = {}
    for name, path in exported.paths.items():
        session = artifacts.ort_session(path, threads=options.threads)
        t0 = time.monotonic()
        probs = onnx_probabilities(session, test_w)
        variants[name] = {
            "metrics": evaluate(probs, test_s, labels, weights),
            "size_bytes": path.stat().st_size,
            "ms_per_clip": round(1000 * (time.monotonic() - t0) / max(1, len(test_w)), 1),
        }
    shipped_variant = voice_wav2vec2_card.variant_to_ship(variants)
    shipped = ShippedModel.copy_of(
        exported.paths[shipped_variant],
        work_dir=work,
        kind="voice",
        version=options.version,
        variant=shipped_variant,
    )
    return voice_wav2vec2_card.result(
        voice_wav2vec2_card.Wav2Vec2Run(
            options=options,
            shipped=shipped,
            labels=labels,
            weights=weights,
            preprocessing=prep,
            parameters=tu.count_parameters(model),
            n_samples=len(samples),
            split=split,
            split_sizes={"train": len(train_w), "val": len(val_w), "test": len(test_w)},
            metrics=variants[shipped_variant]["metrics"],
            variants=variants,
            training={
                **voice_wav2vec2_card.training_settings(
                    options, epochs=run.epochs, batch_size=run.batch_size
                ),
                **tu.fit_record(fit, options=options, run=run, parity=exported.parity),
                "rejected_clips": rejected,
            },
        )
    )


def cross_validate(options: TrainOptions, *, folds: list[list[str]]) -> list[dict[str, Any]]:
    """Train and test once per fold of held-out speakers (``training.voice_stress.actor_folds``);
    the figures are those of the exported fp32 ONNX on the held-out speakers."""
    results = []
    for index, held in enumerate(folds, start=1):
        fold = dataclasses.replace(
            options,
            held_out=tuple(held),
            out_dir=options.out_dir / f"fold-{index}",
            quantize=False,
            version=f"{options.version}-fold{index}",
        )
        result = train(fold)
        stress = result.card["metrics"]["stress"]
        matrix = stress["confusion_matrix"]["matrix"]
        results.append(
            {
                "held_out": held,
                "metrics": {
                    "balanced_accuracy": stress["balanced_accuracy"],
                    "roc_auc": stress.get("roc_auc", float("nan")),
                    "not_stressed_below_half": matrix[0][0] / max(1, sum(matrix[0])),
                    "calm_below_half": stress["calm_below_half"],
                    "stressed_above_half": stress["stressed_above_half"],
                },
                "best_epoch": result.card["training"]["best_epoch"],
            }
        )
    return results
