"""Scoring: an uploaded file or a feature mapping in, a score in [0, 1] out.

These are the functions the worker calls for every check-in and that ``manage.py predict``
uses. Everything model-specific (input name, labels, per-class score weights, preprocessing
parameters, feature encoding) comes from the active model's sidecar metadata, so a retrained
model with other labels works without code changes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from inference import burst, face, fatigue, preprocessing, tabular, voice
from inference.audio_preprocessing import MAX_AUDIO_BYTES
from inference.errors import InvalidMedia, ModelUnavailable
from inference.runtime import LoadedModel, get_model


@dataclass(frozen=True)
class Score:
    score: float  # in [0, 1]
    label: str | None  # argmax label (None for regression)
    probabilities: dict[str, float]  # empty for regression
    model_version: str
    # What a burst of frames showed (``inference.burst.BurstEstimate.summary``); None otherwise.
    burst: dict[str, float | int] | None = None


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis: one distribution per row of a batch (a batch of
    crops must not share one distribution, as training's ``softmax`` does not either)."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def classifier_score(model: LoadedModel, output: np.ndarray) -> Score:
    """Per-class probabilities -> weighted score, using the labels and weights of the sidecar.

    The graph returns logits unless its sidecar says ``"output_is_probability": true``.
    """
    meta = model.metadata
    labels: list[str] = meta["labels"]
    values = np.asarray(output, dtype=np.float64).reshape(-1)
    if values.size != len(labels):
        raise ValueError(
            f"The {model.kind} model {model.version} returned {values.size} values for "
            f"{len(labels)} labels."
        )
    probs = values if meta.get("output_is_probability") else softmax(values)
    weights = meta["score_weights"]
    score = float(sum(p * float(weights[label]) for p, label in zip(probs, labels, strict=True)))
    return Score(
        score=min(1.0, max(0.0, score)),
        label=labels[int(np.argmax(probs))],
        probabilities={label: float(p) for label, p in zip(labels, probs, strict=True)},
        model_version=model.version,
    )


def _fatigued_scores(model: LoadedModel) -> Callable[[np.ndarray], np.ndarray]:
    """The model's P(fatigued) per row of a batch of crops."""
    labels = list(model.metadata.get("labels", ["alert", "fatigued"]))
    column = labels.index("fatigued")

    def predict(batch: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(model.run(batch), dtype=np.float64))[:, column]

    return predict


def score_image(source: str | Path | BinaryIO) -> Score:
    """Fatigue score of a face photo (``inference.fatigue``: gate, landmark crops, combiner),
    or of a burst of frames when ``source`` is a ZIP archive of them (``score_burst``).

    Raises ``InvalidMedia`` for an unacceptable image (``face.PhotoRejected`` for one without a
    single usable face) and ``ModelUnavailable`` when the fatigue or face models are missing.
    No side effects beyond loading the models once per process.
    """
    model = get_model("fatigue")
    if burst.is_archive(source):
        return score_burst(source)
    image = preprocessing.decode_image(source)
    result = fatigue.estimate(image, metadata=model.metadata, predict=_fatigued_scores(model))
    return _fatigue_score(result.probability, model.version)


def _fatigue_score(p: float, version: str, summary: dict | None = None) -> Score:
    return Score(
        score=p,
        label="fatigued" if p >= 0.5 else "alert",
        probabilities={"alert": 1 - p, "fatigued": p},
        model_version=version,
        burst=summary,
    )


def score_burst(source: str | Path | BinaryIO) -> Score:
    """Fatigue score of a burst of frames (``inference.burst``): a folder or a ZIP archive of
    frames, or a short video file. Raises ``InvalidMedia`` when fewer than
    ``burst.MIN_FRAMES`` frames show one usable face, and ``ModelUnavailable`` as
    ``score_image`` does. The result carries the burst's figures (``Score.burst``)."""
    model = get_model("fatigue")
    result = burst.estimate(
        burst.frames_of(source), metadata=model.metadata, predict=_fatigued_scores(model)
    )
    return _fatigue_score(result.probability, model.version, result.summary())


def score_audio(source: str | Path | BinaryIO) -> Score:
    """Voice stress score of a speech clip (``inference.voice``: speech gate, voice features,
    calibrated head; older Wav2Vec2 models take the gated waveform).

    Raises ``InvalidMedia`` for unacceptable audio (less than a second of speech included)
    and ``ModelUnavailable`` when the voice model, the speech detector or the voice encoder
    is missing.
    """
    model = get_model("voice")
    rate = int(model.metadata.get("preprocessing", {}).get("sample_rate", 16000))
    samples = preprocessing.decode_audio(source, sample_rate=rate)
    return classifier_score(model, model.run(voice.model_input(samples, model.metadata)))


def score_burnout(features: Mapping[str, float | int | str | bool | None]) -> Score:
    """Burn rate in [0, 1] from profile features; any of them may be None (missing).

    Keys: tenure_days, designation (0-5), company_type ("service"/"product"), wfh_available,
    resource_allocation (1-10), mental_fatigue (0-10). Raises ``InvalidMedia`` for an unknown
    key or a non-numeric number and ``ModelUnavailable`` when there is no usable model.
    """
    model = get_model("burnout")
    meta = model.metadata
    row = tabular.encode_features(
        features,
        feature_names=meta["features"],
        encoding=meta.get("feature_encoding") or {},
    )
    value = float(np.asarray(model.run(row), dtype=np.float64).reshape(-1)[0])
    if not np.isfinite(value):
        raise ModelUnavailable(f"The burnout model {model.version} returned {value}.")
    return Score(
        score=min(1.0, max(0.0, value)),
        label=None,
        probabilities={},
        model_version=model.version,
    )


def score_media(kind: str, source: str | Path | BinaryIO) -> Score:
    """Score an upload with the active model of ``kind``, the model kind that
    ``resonance.indicators`` names for an indicator read from an upload."""
    # Looked up per call, so each scorer stays the one place a test or caller replaces.
    scorers: dict[str, Callable[[str | Path | BinaryIO], Score]] = {
        "fatigue": score_image,
        "voice": score_audio,
    }
    if kind not in scorers:
        raise ModelUnavailable(f"No scorer reads an upload for the model kind {kind!r}.")
    return scorers[kind](source)


def validate_image_upload(source: Any) -> None:
    """The photo check of the check-in page: ``check_image_upload`` and the face gate (exactly
    one usable face, ``face.analyse_face``), so the person learns at once whether to retake the
    photo. Raises ``InvalidMedia`` (``face.PhotoRejected`` says how to retake it) and
    ``ModelUnavailable`` when the face models are missing.
    """
    face.analyse_face(preprocessing.decode_image(source))


def check_image_upload(source: Any) -> None:
    """The cheap checks of an upload request: a JPEG/PNG/WebP by content, not a bomb, no markup
    or appended archive, and it decodes (at a reduced scale: a few milliseconds). The face gate
    runs when the check-in is scored. Raises ``InvalidMedia``."""
    preprocessing.decode_image(source)


def check_burst_upload(frames: Sequence[Any]) -> bytes:
    """Check a burst at upload time and pack it for storage: ``burst.MIN_FRAMES`` to
    ``burst.MAX_FRAMES`` frames, each passing ``check_image_upload``. Returns the frames' bytes,
    unchanged and in order, as one ZIP archive; the face gate runs on each frame when the
    check-in is scored. Raises ``InvalidMedia``.
    """
    if not burst.MIN_FRAMES <= len(frames) <= burst.MAX_FRAMES:
        raise InvalidMedia(
            f"A burst has {burst.MIN_FRAMES} to {burst.MAX_FRAMES} frames; got {len(frames)}."
        )
    data = []
    for frame in frames:
        frame.seek(0)
        content = frame.read()
        preprocessing.decode_image(io.BytesIO(content))
        data.append(content)
    return burst.pack(data)


def check_audio_upload(source: Any) -> None:
    """The cheap checks of an upload request: an audio format the scorer reads, by content
    (415 otherwise); WAV, FLAC, OGG and MP3 are decoded (milliseconds), WebM and MP4 only
    recognised (ffmpeg decodes them when the check-in is scored). The speech gate runs when the
    check-in is scored. Raises ``InvalidMedia``; leaves a file object rewound to its start.
    """
    data = preprocessing.read_source(source, max_bytes=MAX_AUDIO_BYTES, what="audio")
    fmt = preprocessing.sniff_audio_format(data)
    if fmt is not None and fmt.decoder == "ffmpeg":
        return
    preprocessing.decode_audio(data)
