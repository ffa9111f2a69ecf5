"""Fatigue trainer: a ResNet image classifier (alert / fatigued) on the landmark crops of face
photos and on eye images, exported as fp32 and static int8 ONNX, with the combiner that turns
its scores into the check-in's P(fatigued).

``training.services`` calls ``data_files`` and ``train``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

from inference import fatigue as pipeline
from inference.preprocessing import image_to_tensor
from training import artifacts, fatigue_card
from training.config import TrainOptions, TrainResult
from training.datasets import FATIGUE_LABELS
from training.evaluation import classification_metrics
from training.fatigue_data import data_files, labelled_samples, preprocessing, split
from training.fatigue_model import (
    CONFIGS,
    INPUT_NAME,
    build_model,
    onnx_probabilities,
    set_trainable,
    torch_probabilities,
)
from training.fatigue_pipeline import (
    EYE_SUBSETS,
    evaluate_arrays,
    fit_combiner,
    load_eval_arrays,
    onnx_predictor,
    pipeline_probabilities,
    prepare,
    scores,
)
from training.fatigue_robustness import robustness
from training.shipped import ShippedModel, model_stem

__all__ = ["data_files", "train"]


def _augment(image: Image.Image, rng: random.Random) -> Image.Image:
    """Random crop (80-100% of each side), horizontal flip and colour jitter."""
    width, height = image.size
    scale = rng.uniform(0.8, 1.0)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    left, top = rng.randint(0, width - w), rng.randint(0, height - h)
    image = image.crop((left, top, left + w, top + h))
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.7, 1.3))
    return ImageEnhance.Color(image).enhance(rng.uniform(0.7, 1.3))


def train(options: TrainOptions) -> TrainResult:
    """Fit the classifier, export fp32 + static int8 ONNX, evaluate both, write the files."""
    import torch

    from training import torch_utils as tu

    cfg = CONFIGS[options.config]
    run = tu.start_run(options, epochs=cfg.epochs, batch_size=cfg.batch_size)
    prep = preprocessing(options)
    work = options.out_dir

    samples = labelled_samples(options)
    train_s, val_s, test_s = split(samples, seed=options.seed)
    # The CNN learns from what it will be fed: landmark crops of face photos, eye images.
    (train_p, train_refused), (val_p, val_refused), (test_p, test_refused) = (
        prepare(part) for part in (train_s, val_s, test_s)
    )
    train_s, val_s, test_s = ([p.sample for p in part] for part in (train_p, val_p, test_p))
    train_images = [p.image for p in train_p]
    train_y = [FATIGUE_LABELS.index(s.label) for s in train_s]
    val_x = load_eval_arrays(val_p, prep)
    val_y = np.asarray([FATIGUE_LABELS.index(s.label) for s in val_s])

    model = build_model(options)

    def make_batch(idx: list[int], rng: random.Random) -> np.ndarray:
        return np.concatenate(
            [image_to_tensor(_augment(train_images[i], rng), **prep) for i in idx]
        )

    def validate() -> float:
        val_probs = torch_probabilities(model, val_x)
        return classification_metrics(val_y, val_probs, FATIGUE_LABELS)["balanced_accuracy"]

    fit = tu.fine_tune(
        model,
        name="fatigue",
        options=options,
        epochs=run.epochs,
        batch_size=run.batch_size,
        lr=cfg.lr,
        weight_decay=1e-4,
        train_y=train_y,
        n_classes=len(FATIGUE_LABELS),
        input_name=INPUT_NAME,
        make_batch=make_batch,
        validate=validate,
        score_key="val_balanced_accuracy",
        set_trainable=set_trainable,
    )

    def quantize(fp32: Path, int8: Path) -> None:
        from training import quantization

        calibration = [
            image_to_tensor(img, **prep) for img in train_images[:: max(1, len(train_images) // 64)]
        ]
        quantization.static_int8_variant(fp32, int8, input_name=INPUT_NAME, calibration=calibration)

    size = prep["image_size"]
    test_x = load_eval_arrays(test_p, prep)
    exported = tu.export_variants(
        model,
        stem=model_stem("fatigue", options.version),
        work_dir=work,
        example=torch.zeros(1, 3, size, size),
        input_name=INPUT_NAME,
        dynamic_axes={0: "batch"},
        parity_inputs=[np.concatenate(test_x[:16])],
        quantize=quantize if options.quantize else None,
    )
    variants: dict[str, dict[str, Any]] = {
        name: {
            "metrics": evaluate_arrays(
                onnx_probabilities(artifacts.ort_session(path, threads=options.threads), test_x),
                test_s,
            ),
            "size_bytes": path.stat().st_size,
        }
        for name, path in exported.paths.items()
    }
    shipped_variant = fatigue_card.variant_to_ship(variants)
    shipped = ShippedModel.copy_of(
        exported.paths[shipped_variant],
        work_dir=work,
        kind="fatigue",
        version=options.version,
        variant=shipped_variant,
    )

    # The combiner is fitted on the validation split, then the whole check-in pipeline (gate,
    # crops, CNN, combiner) is measured on the test split.
    predict = onnx_predictor(artifacts.ort_session(shipped.path, threads=options.threads))
    combiner = fit_combiner(val_p, scores(predict, val_x))
    pipeline_meta = {"pipeline": pipeline.PIPELINE, "combiner": combiner, "preprocessing": prep}
    metrics = evaluate_arrays(
        pipeline_probabilities(test_p, metadata=pipeline_meta, predict=predict), test_s
    )
    # P(fatigued) = 1 - (1 - P(yawn)) (1 - P(eyes closed)) against the yawn labels, which say
    # nothing of the eyes: a lower bound for the combined score, reported as such.
    combined_on_faces = evaluate_arrays(
        pipeline_probabilities(test_p, metadata=pipeline_meta, predict=predict, combined=True),
        test_s,
    )
    robust = robustness(test_p, metadata=pipeline_meta, predict=predict)
    return fatigue_card.result(
        fatigue_card.FatigueRun(
            options=options,
            shipped=shipped,
            preprocessing=prep,
            parameters=tu.count_parameters(model),
            samples=samples,
            split_sizes={"train": len(train_s), "val": len(val_s), "test": len(test_s)},
            metrics=metrics,
            combined_on_faces=combined_on_faces,
            cnn_metrics=variants[shipped_variant]["metrics"],
            combiner=combiner,
            face_gate={
                "refused_face_photos": {
                    "train": len(train_refused),
                    "val": len(val_refused),
                    "test": len(test_refused),
                },
                "face_photos": sum(1 for s in samples if s.subset not in EYE_SUBSETS),
            },
            robustness=robust,
            variants=variants,
            training={
                **fatigue_card.training_settings(
                    options, epochs=run.epochs, batch_size=run.batch_size
                ),
                **tu.fit_record(fit, options=options, run=run, parity=exported.parity),
            },
        )
    )
