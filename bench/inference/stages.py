"""The check-in's stages alone: the voice model's features, the photo gate and the speech
detector, each timed on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.inference.common import (
    STARTER_VOICE_SIDECAR,
    Results,
    Settings,
    compare,
    ort_session,
)
from training.artifacts import OnnxSession

if TYPE_CHECKING:
    import torch


def bench_voice_features(clips: dict[int, Path], settings: Settings, results: Results) -> None:
    """The voice model's feature extraction per clip length: the voice encoder in ONNX Runtime
    against the same encoder in PyTorch eager, prosody (numpy), and the whole analysis."""
    from django.conf import settings as django_settings

    from inference import voice_features
    from training.voice_encoder import from_onnx

    django_settings.ORT_INTRA_OP_THREADS = settings.threads
    voice_features.reset()
    onnx_path = voice_features.encoder_dir() / "voice_encoder.onnx"
    session = ort_session(onnx_path, settings.threads)
    model = from_onnx(onnx_path)
    prep = json.loads(STARTER_VOICE_SIDECAR.read_text())["preprocessing"]
    names = json.loads(STARTER_VOICE_SIDECAR.read_text())["features"]
    results["voice_features"] = {
        f"{seconds}s": _clip_features(
            path, model=model, session=session, prep=prep, names=names, repeats=settings.repeats
        )
        for seconds, path in clips.items()
    }


def _clip_features(
    path: Path,
    *,
    model: torch.nn.Module,
    session: OnnxSession,
    prep: dict[str, Any],
    names: list[str],
    repeats: int,
) -> dict[str, Any]:
    """One clip's feature extraction, stage by stage, and the encoder's two runtimes' parity."""
    import torch

    from inference import voice, voice_features
    from inference.preprocessing import decode_audio

    analysis = voice.analyse_speech(decode_audio(path), **prep)
    mels = voice_features.partial_mels(analysis.speech)
    tensor = torch.from_numpy(mels)
    fns: dict[str, Callable[[], object]] = {
        "encoder_torch": lambda: model(tensor),
        "encoder_ort": lambda: session.run(None, {"mels": mels}),
        "mel": lambda: voice_features.partial_mels(analysis.speech),
        "prosody": lambda: voice_features.prosody(analysis.speech, segments=list(analysis.spans)),
        "analysis": lambda: voice.analyse_speech(decode_audio(path), **prep).features(names),
    }
    with torch.no_grad():
        t = compare(fns, repeats=repeats)
        diff = float(np.abs(model(tensor).numpy() - session.run(None, {"mels": mels})[0]).max())
    return {
        "ms": t,
        "partials": int(mels.shape[0]),
        "encoder_speedup": t["encoder_torch"]["cpu"] / t["encoder_ort"]["cpu"],
        "encoder_max_abs_diff": diff,
    }


def bench_face(image: Path, settings: Settings, results: Results) -> None:
    """The photo gate alone: detection, 468 landmarks, light and blur checks, eye crops."""
    from django.conf import settings as django_settings

    from inference import face
    from inference.preprocessing import decode_image

    django_settings.ORT_INTRA_OP_THREADS = settings.threads
    face.reset()
    photo = decode_image(image)

    def gate() -> None:
        face.eye_crops(photo, face.analyse_face(photo))

    results["face"] = {"ms": compare({"gate + landmarks + crops": gate}, repeats=settings.repeats)}


def bench_vad(clips: dict[int, Path], settings: Settings, results: Results) -> None:
    """The speech detector alone (it runs at upload and again in the worker), per clip length."""
    from django.conf import settings as django_settings

    from inference import vad
    from inference.preprocessing import decode_audio

    django_settings.ORT_INTRA_OP_THREADS = settings.threads
    vad.reset()
    samples = {seconds: decode_audio(path) for seconds, path in clips.items()}
    fns: dict[int, Callable[[], object]] = {
        seconds: partial(vad.speech_segments, x) for seconds, x in samples.items()
    }
    results["vad"] = {
        "ms": {f"{seconds}s": t for seconds, t in compare(fns, repeats=settings.repeats).items()}
    }
