"""A full check-in: the worker's scoring path (int8 models through ``inference.services``)
against the same work done by PyTorch eager models and native XGBoost."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.inference.common import (
    STARTER_FATIGUE_SIDECAR,
    STARTER_VOICE_SIDECAR,
    Results,
    Settings,
    compare,
    fatigued_rows,
    ort_session,
)
from bench.inference.models import write_sidecar
from bench.inference.networks import ExportedCnn
from training.artifacts import OnnxSession

if TYPE_CHECKING:
    import xgboost

# The profile scored with every check-in.
FEATURES: dict[str, float | int | str | bool | None] = {
    "tenure_days": 200,
    "designation": 2,
    "company_type": "service",
    "wfh_available": True,
    "resource_allocation": 6,
    "mental_fatigue": 5.5,
}
FATIGUE_PREPROCESSING = {"image_size": 224, "resize": 256}


def _starter_combiner() -> dict[str, Any]:
    """The shipped starter's fitted combiner: the same arithmetic as at check-in."""
    combiner: dict[str, Any] = json.loads(STARTER_FATIGUE_SIDECAR.read_text())["combiner"]
    return combiner


def _burnout_encoding() -> Mapping[str, Mapping[str, Any]]:
    from inference.testing import BURNOUT_ENCODING

    return BURNOUT_ENCODING


def register_models(work: Path, *, cnn_int8: Path, burnout_path: Path) -> None:
    """A registry in ``work`` with the int8 CNN, the shipped voice model and the XGBoost
    burnout model, each registered and active."""
    import shutil

    from inference import fatigue as fatigue_pipeline
    from inference.registry import register_model_file
    from inference.sessions import REDUCED_RANGE_QUANTIZATION
    from inference.testing import BURNOUT_FEATURES

    registry = work / "registry"
    shutil.rmtree(registry, ignore_errors=True)
    fatigue_path = registry / "fatigue" / "fatigue-bench.onnx"
    voice_path = registry / "voice" / "voice-bench.onnx"
    fatigue_path.parent.mkdir(parents=True)
    voice_path.parent.mkdir(parents=True)
    shutil.copy(cnn_int8, fatigue_path)
    # The shipped voice model as it is: a head over the voice encoder's embedding and prosody.
    shutil.copy(STARTER_VOICE_SIDECAR.with_suffix(".onnx"), voice_path)
    write_sidecar(
        fatigue_path,
        "fatigue",
        {
            "input_name": "pixel_values",
            "output_name": "logits",
            "labels": ["alert", "fatigued"],
            "score_weights": {"alert": 0.0, "fatigued": 1.0},
            "output": "probabilities",
            "preprocessing": dict(FATIGUE_PREPROCESSING),
            "pipeline": fatigue_pipeline.PIPELINE,
            "combiner": _starter_combiner(),
            "quantization": REDUCED_RANGE_QUANTIZATION,  # quantized by this benchmark
        },
    )
    voice_meta = json.loads(STARTER_VOICE_SIDECAR.read_text())
    voice_path.with_suffix(".json").write_text(
        json.dumps(voice_meta | {"version": "bench", "onnx_file": voice_path.name})
    )
    write_sidecar(
        burnout_path,
        "burnout",
        {
            "input_name": "features",
            "output_name": "variable",
            "features": BURNOUT_FEATURES,
            "feature_encoding": _burnout_encoding(),
            "output": "regression",
        },
    )
    for path in (fatigue_path, voice_path, burnout_path):
        register_model_file(path, activate=True)


def bench_checkin(
    image: Path,
    clip: Path,
    cnn: ExportedCnn,
    burnout: tuple[xgboost.XGBRegressor, Path],
    settings: Settings,
    results: Results,
) -> None:
    """The worker's scoring path (int8, services) against the PyTorch-eager pipeline."""
    import torch
    from django.conf import settings as django_settings

    from inference import (
        eyelids,
        face_detection,
        face_models,
        runtime,
        services,
        tabular,
        vad,
        voice_features,
    )
    from inference import fatigue as fatigue_pipeline
    from inference import voice as voice_pipeline
    from inference.preprocessing import decode_audio, decode_image
    from inference.testing import BURNOUT_FEATURES
    from training.voice_encoder import from_onnx

    xgb_model, burnout_path = burnout
    voice_meta = json.loads(STARTER_VOICE_SIDECAR.read_text())
    encoder_onnx = voice_features.encoder_dir() / "voice_encoder.onnx"
    torch_encoder = from_onnx(encoder_onnx)
    register_models(settings.work, cnn_int8=cnn.int8, burnout_path=burnout_path)
    django_settings.ORT_INTRA_OP_THREADS = settings.threads
    runtime.reset()
    encoding = _burnout_encoding()

    def ort_checkin() -> tuple[services.Score, services.Score, services.Score]:
        return (
            services.score_image(image),
            services.score_audio(clip),
            services.score_burnout(FEATURES),
        )

    fatigue_meta: dict[str, Any] = {
        "pipeline": fatigue_pipeline.PIPELINE,
        "combiner": _starter_combiner(),
        "preprocessing": dict(FATIGUE_PREPROCESSING),
    }

    def torch_predict(batch: np.ndarray) -> np.ndarray:
        return fatigued_rows(cnn.model(pixel_values=torch.from_numpy(batch)).logits.numpy())

    prep = voice_meta["preprocessing"]

    def torch_voice(head: OnnxSession) -> float:
        # The speech gate, mel spectrogram and prosody are numpy (no torch model exists for
        # them); the voice encoder runs in PyTorch eager with the shipped weights; the
        # small head runs in ONNX Runtime on both paths.
        analysis = voice_pipeline.analyse_speech(decode_audio(clip), **prep)
        mels = torch.from_numpy(voice_features.partial_mels(analysis.speech))
        embedding = voice_features.mean_embedding(torch_encoder(mels).numpy())
        values = dict(zip(voice_features.EMBEDDING_FEATURES, embedding.tolist(), strict=True))
        values |= analysis.prosody
        row = np.array([[values[name] for name in voice_meta["features"]]], dtype=np.float32)
        return float(head.run(None, {"features": row})[0][0, 1])

    def torch_checkin() -> tuple[float, float, np.ndarray]:
        # The same work: the face gate, landmarks and crops (ONNX: no torch model exists for
        # them), the fatigue CNN on the three crops in torch, the voice path as above.
        with torch.no_grad():
            fatigue = fatigue_pipeline.estimate(
                decode_image(image), metadata=fatigue_meta, predict=torch_predict
            )
            stress = torch_voice(sessions["voice"])
        row = tabular.encode_features(FEATURES, feature_names=BURNOUT_FEATURES, encoding=encoding)
        return fatigue.probability, stress, xgb_model.predict(row)

    # Pure session.run on the same, already preprocessed inputs: the floor for overhead. Every
    # graph the check-in runs counts: the face detector, mesh and eye model, the CNN, the
    # speech detector (one run per 32 ms window, its state carried), the voice encoder and
    # head, and the burnout model.
    photo = decode_image(image)
    face_analysis, img_x = fatigue_pipeline.model_inputs(photo, fatigue_meta["preprocessing"])
    detector_x = face_detection._letterbox(photo, face_detection.DETECTOR_SIZE)[0]
    square = face_detection.face_square(face_analysis.detection)
    mesh_x = np.asarray(square.cut(photo, face_detection.LANDMARK_SIZE), dtype=np.float32)[None]
    mesh_x /= 255.0
    eyes_x = eyelids.eye_model_input(photo, face_analysis.landmarks)
    face_sessions = {name: face_models.face_session(name) for name in face_models.NAMES}
    samples = decode_audio(clip)
    analysis = voice_pipeline.analyse_speech(samples, **prep)
    mels_x = voice_features.partial_mels(analysis.speech)
    voice_x = analysis.features(voice_meta["features"])
    row = tabular.encode_features(FEATURES, feature_names=BURNOUT_FEATURES, encoding=encoding)
    ort_checkin()
    sessions: dict[str, OnnxSession] = {
        kind: runtime.get_model(kind).session for kind in ("fatigue", "voice", "burnout")
    }
    encoder_session = ort_session(encoder_onnx, settings.threads)

    def pure_run() -> None:
        face_sessions[face_models.DETECTOR].run(None, {"input": detector_x})
        face_sessions[face_models.LANDMARKS].run(None, {"input_1": mesh_x})
        for eye in eyes_x:
            face_sessions[face_models.EYES].run(None, {"input_1": eye[None]})
        sessions["fatigue"].run(None, {"pixel_values": img_x})
        # One run per 32 ms window with its state carried: the loop is the model's own.
        vad.speech_probabilities(samples)
        encoder_session.run(None, {"mels": mels_x})
        sessions["voice"].run(None, {"features": voice_x})
        sessions["burnout"].run(None, {"features": row})

    t = compare(
        {"torch": torch_checkin, "worker": ort_checkin, "session_run": pure_run},
        repeats=settings.repeats,
    )
    # Parity of the shipped int8 path against fp32 on the same inputs.
    fatigue, voice, burn = ort_checkin()
    fp32_session = ort_session(cnn.fp32, settings.threads)
    p_fat32 = fatigue_pipeline.estimate(
        decode_image(image),
        metadata=fatigue_meta,
        predict=lambda batch: fatigued_rows(fp32_session.run(None, {"pixel_values": batch})[0]),
    ).probability
    with torch.no_grad():
        p_voice_torch = torch_voice(sessions["voice"])
    fat_diff = abs(fatigue.score - p_fat32)
    voice_diff = abs(voice.score - p_voice_torch)
    burn_diff = float(abs(burn.score - float(np.clip(xgb_model.predict(row)[0], 0, 1))))
    results["checkin"] = {
        "ms": t,
        "speedup": t["torch"]["cpu"] / t["worker"]["cpu"],
        "speedup_wall": t["torch"]["wall"] / t["worker"]["wall"],
        "overhead_ratio": t["worker"]["cpu"] / t["session_run"]["cpu"],
        "overhead_ratio_wall": t["worker"]["wall"] / t["session_run"]["wall"],
        "max_prob_diff_fatigue": fat_diff,
        "max_prob_diff_voice": voice_diff,
        "burnout_diff_vs_xgboost": burn_diff,
    }
