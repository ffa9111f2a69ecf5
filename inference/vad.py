"""Voice-activity detection: Silero VAD 6.2.3 on ONNX Runtime, ported from ``silero_vad``.

The model file is bundled (``models/vad/``, see its README) and pinned by sha256: the
thresholds below were checked against this exact file, so any other file is refused. Its
session is held by ``inference.sessions`` and rebuilt when ``settings.VAD_MODEL_PATH``
changes. A missing or altered file raises ``ModelUnavailable`` with a readable reason.

``speech_segments`` does what ``silero_vad.get_speech_timestamps`` does with its defaults
(threshold 0.5, neg threshold 0.35, min speech 250 ms, min silence 100 ms, speech pad 30 ms,
no maximum segment length), in numpy. The package itself needs torch; this module never
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from inference import sessions
from inference.sessions import Problem

NAME = "vad"  # in the session cache
SOURCE = "silero-vad 6.2.3"
SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
SAMPLE_RATE = 16000
WINDOW = 512  # samples per model call at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window prepended to each call (silero v5+)
STATE_SHAPE = (2, 1, 128)

THRESHOLD = 0.5
NEG_THRESHOLD = THRESHOLD - 0.15
MIN_SPEECH_MS = 250
MIN_SILENCE_MS = 100
SPEECH_PAD_MS = 30


@dataclass(frozen=True)
class Segment:
    """Detected speech, in samples at 16 kHz: ``samples[start:end]``."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def model_path() -> Path:
    return Path(settings.VAD_MODEL_PATH)


def _refusal(model: sessions.ModelFile, problem: Problem, error: str) -> str:
    name = model.path.name
    if problem == "missing":
        reason = f"the voice-activity model file {name} is missing"
    elif problem == "altered":
        reason = (
            f"the voice-activity model file {name} does not match the sha256 of {SOURCE}; it "
            "was altered or replaced"
        )
    else:
        reason = f"{name} could not be loaded ({error})"
    return f"Speech detection is unavailable: {reason}. See models/vad/README.md to restore it."


def _model() -> sessions.ModelFile:
    return sessions.ModelFile(
        name=NAME, path=model_path(), sha256=SHA256, version=SOURCE, refusal=_refusal
    )


def _session() -> Any:
    """The detector's session (``inference.sessions``), for ``settings.VAD_MODEL_PATH``."""
    return sessions.get(_model()).session


def reset() -> None:
    """Forget the cached session and checksums (tests, or after replacing the file)."""
    sessions.reset(NAME)


def load() -> str:
    """Build the session now (worker start-up); returns the model's name. Raises
    ``ModelUnavailable``."""
    _session()
    return SOURCE


def status() -> dict[str, Any]:
    """Health of the bundled model (``sessions.report``), without building a session."""
    return sessions.health(_model())


def speech_probabilities(samples: np.ndarray) -> np.ndarray:
    """Speech probability of each 512-sample window of 16 kHz mono ``samples`` (last one
    zero-padded), carrying the model's recurrent state and 64-sample context across windows."""
    session = _session()
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    count = -(-audio.size // WINDOW)
    padded = np.zeros(CONTEXT + count * WINDOW, dtype=np.float32)
    padded[CONTEXT : CONTEXT + audio.size] = audio
    state = np.zeros(STATE_SHAPE, dtype=np.float32)
    rate = np.array(SAMPLE_RATE, dtype=np.int64)
    probs = np.empty(count, dtype=np.float32)
    for index in range(count):
        # Each call sees the last 64 samples of the previous window, then the new 512.
        start = index * WINDOW
        frame = padded[np.newaxis, start : start + CONTEXT + WINDOW]
        out, state = session.run(None, {"input": frame, "state": state, "sr": rate})
        probs[index] = out[0, 0]
    return probs


def segments_from_probabilities(probs: np.ndarray, *, length: int) -> list[Segment]:
    """Silero's ``get_speech_timestamps_from_probs`` with its defaults, for ``length`` samples.

    A segment opens at the first window at or above ``THRESHOLD`` and closes once the
    probability has stayed below ``NEG_THRESHOLD`` for ``MIN_SILENCE_MS``; segments of at most
    ``MIN_SPEECH_MS`` are dropped; each is padded by ``SPEECH_PAD_MS`` (half the gap when two
    are closer than twice that).
    """
    min_speech = SAMPLE_RATE * MIN_SPEECH_MS / 1000
    min_silence = SAMPLE_RATE * MIN_SILENCE_MS / 1000
    pad = SAMPLE_RATE * SPEECH_PAD_MS / 1000
    spans: list[list[int]] = []
    start: int | None = None
    temp_end = 0
    for index, prob in enumerate(np.asarray(probs, dtype=np.float64).tolist()):
        sample = WINDOW * index
        if prob >= THRESHOLD and temp_end:
            temp_end = 0
        if prob >= THRESHOLD and start is None:
            start = sample
            continue
        if prob < NEG_THRESHOLD and start is not None:
            if not temp_end:
                temp_end = sample
            if sample - temp_end < min_silence:
                continue
            if temp_end - start > min_speech:
                spans.append([start, temp_end])
            start, temp_end = None, 0
    if start is not None and length - start > min_speech:
        spans.append([start, length])

    for index, span in enumerate(spans):
        if index == 0:
            span[0] = int(max(0, span[0] - pad))
        if index != len(spans) - 1:
            following = spans[index + 1]
            gap = following[0] - span[1]
            if gap < 2 * pad:
                span[1] += int(gap // 2)
                following[0] = int(max(0, following[0] - gap // 2))
            else:
                span[1] = int(min(length, span[1] + pad))
                following[0] = int(max(0, following[0] - pad))
        else:
            span[1] = int(min(length, span[1] + pad))
    return [Segment(start, end) for start, end in spans]


def speech_segments(samples: np.ndarray) -> list[Segment]:
    """Speech in 16 kHz mono float32 ``samples``, as silero's ``get_speech_timestamps`` finds
    it. Raises ``ModelUnavailable`` when the bundled model is missing or altered."""
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        return []
    return segments_from_probabilities(speech_probabilities(audio), length=audio.size)
