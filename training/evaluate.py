"""Evaluate an exported ONNX model (with its sidecar) on a data folder, through onnxruntime.

The model sees exactly what the scorer feeds it: inputs are built by ``inference``'s
preprocessing and feature encoding with the sidecar's parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from training import artifacts, cards
from training.config import TrainOptions


def read_sidecar(onnx_path: Path) -> dict[str, Any]:
    sidecar = onnx_path.with_suffix(".json")
    if not sidecar.exists():
        raise FileNotFoundError(f"No sidecar {sidecar.name} next to {onnx_path.name}.")
    meta = json.loads(sidecar.read_text())
    if meta.get("sha256") != artifacts.sha256_file(onnx_path):
        raise ValueError(f"{onnx_path.name} does not match the sha256 in its sidecar.")
    return meta


def options_from_sidecar(
    meta: dict[str, Any], data_dirs: tuple[Path, ...], out_dir: Path
) -> TrainOptions:
    """The options the model was trained with, so the same held-out split is rebuilt."""
    training = meta.get("training", {})
    return TrainOptions(
        kind=meta["kind"],
        data_dirs=data_dirs,
        out_dir=out_dir,
        version=meta["version"],
        config=training.get("config", "small"),
        seed=int(training.get("seed", 7)),
        max_samples=training.get("max_samples"),
        scheme=training.get("scheme", "binary"),
        architecture=training.get(
            "architecture", "wav2vec2" if meta["kind"] == "voice" else "features"
        ),
        progress=False,
    )


def evaluate_model_file(
    onnx_path: Path, *, data_dirs: tuple[Path, ...], part: str = "test", threads: int = 1
) -> dict[str, Any]:
    """Metrics of the model in ``onnx_path`` on ``part`` (test, val, train or all) of the data.

    For ``test`` the split is rebuilt from the seed recorded in the sidecar, which gives the
    held-out part only when the data folders are the ones the model was trained on.
    """
    meta = read_sidecar(onnx_path)
    options = options_from_sidecar(meta, data_dirs, onnx_path.parent)
    session = artifacts.ort_session(onnx_path, threads=threads)
    kind = meta["kind"]
    if kind == "burnout":
        from training import burnout

        features, target = burnout.held_out(options, part=part)
        raw = session.run(None, {meta["input_name"]: features})[0].reshape(-1)
        return burnout.evaluate_predictions(features, target, np.clip(raw, 0.0, 1.0))
    if kind == "fatigue":
        from training import fatigue_data, fatigue_pipeline

        return fatigue_pipeline.evaluate_pipeline(
            fatigue_data.held_out(options, part=part), session=session, metadata=meta
        )
    if kind == "voice":
        from inference.voice import is_feature_model
        from training import voice, voice_data, voice_wav2vec2_evaluation, voice_wav2vec2_model

        samples = voice_data.held_out(options, part=part)
        if is_feature_model(meta):
            return voice.evaluate_features(session, meta, samples)
        waves, kept, rejected = voice_data.load_waveforms(samples, meta["preprocessing"])
        probs = voice_wav2vec2_model.onnx_probabilities(session, waves)
        result = voice_wav2vec2_evaluation.evaluate(
            probs, kept, meta["labels"], meta["score_weights"]
        )
        result["rejected_clips"] = len(rejected)
        return result
    raise ValueError(f"Unknown model kind {kind!r}.")


def record_evaluation(
    onnx_path: Path, metrics: dict[str, Any], *, part: str, data_dirs: Iterable[Path]
) -> Path:
    """Add an evaluation to the model card (JSON and Markdown) next to ``onnx_path``."""
    stem = onnx_path.stem
    card_path = onnx_path.with_name(f"{stem}.card.json")
    if not card_path.exists():
        raise FileNotFoundError(f"No model card {card_path.name} next to {onnx_path.name}.")
    card = json.loads(card_path.read_text())
    card.setdefault("evaluations", []).append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "part": part,
            "data_dirs": [str(d) for d in data_dirs],
            "metrics": metrics,
        }
    )
    artifacts.write_model_card(onnx_path.parent, stem, card, cards.render_markdown)
    return card_path
