"""The check-in's stages alone: the voice model's features, the photo gate and the speech
detector, each timed on its own."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from bench.inference.common import (
    STARTER_FATIGUE_SIDECAR,
    STARTER_VOICE_SIDECAR,
    Results,
    Settings,
    compare,
    ort_session,
)
from training.artifacts import OnnxSession

if TYPE_CHECKING:
    import torch

    from inference.sessions import LoadedModel


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


BURST_FRAMES = 12


def bench_burst(image: Path, settings: Settings, results: Results) -> None:
    """The worker's extra time for a burst (12 frames, as the check-in page takes them) over
    one photo, with the shipped fatigue model: per-check-in milliseconds, p50 and p99 over
    ``max(20, repeats)`` interleaved runs."""
    from inference import burst, fatigue, services
    from inference.preprocessing import decode_image

    sidecar = json.loads(STARTER_FATIGUE_SIDECAR.read_text())
    session = ort_session(STARTER_FATIGUE_SIDECAR.parent / sidecar["onnx_file"], settings.threads)
    model = SimpleNamespace(
        metadata=sidecar,
        run=lambda batch: session.run([sidecar["output_name"]], {sidecar["input_name"]: batch})[0],
    )
    predict = services._fatigued_scores(cast("LoadedModel", model))
    photo = image.read_bytes()
    archive = burst.pack([photo] * BURST_FRAMES)
    # The same model with an eye part that does not read the lids: what the eye model costs.
    without_lids = {
        **sidecar,
        "combiner": {
            **sidecar["combiner"],
            "eyes": {"features": ["logit_eyes", "ear_mean"], "coef": [1.0, -3.0], "intercept": 0},
        },
    }

    def one_photo() -> None:
        fatigue.estimate(decode_image(io.BytesIO(photo)), metadata=sidecar, predict=predict)

    def photo_without_lids() -> None:
        fatigue.estimate(decode_image(io.BytesIO(photo)), metadata=without_lids, predict=predict)

    def a_burst() -> None:
        burst.estimate(burst.frames_of(io.BytesIO(archive)), metadata=sidecar, predict=predict)

    runs = max(20, settings.repeats)
    timings: dict[str, list[float]] = {"photo": [], "burst": [], "no_lids": []}
    one_photo()  # warm-up
    a_burst()
    photo_without_lids()
    for _ in range(runs):
        for name, fn in (("photo", one_photo), ("burst", a_burst), ("no_lids", photo_without_lids)):
            started = time.thread_time()
            fn()
            timings[name].append((time.thread_time() - started) * 1000)
    extra = [b - p for b, p in zip(timings["burst"], timings["photo"], strict=True)]
    results["burst"] = {
        "frames": BURST_FRAMES,
        "runs": runs,
        "photo_ms_p50": float(np.percentile(timings["photo"], 50)),
        "burst_ms_p50": float(np.percentile(timings["burst"], 50)),
        "burst_ms_p99": float(np.percentile(timings["burst"], 99)),
        "extra_ms_p50": float(np.percentile(extra, 50)),
        "extra_ms_p99": float(np.percentile(extra, 99)),
        "photo_without_lids_ms_p50": float(np.percentile(timings["no_lids"], 50)),
        "lids_ms_p50": float(
            np.percentile(
                [p - n for p, n in zip(timings["photo"], timings["no_lids"], strict=True)], 50
            )
        ),
    }


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
