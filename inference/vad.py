"""Voice-activity detection: Silero VAD 6.2.3 on ONNX Runtime, ported from ``silero_vad``.

The model file is bundled (``models/vad/``, see its README) and pinned by sha256: the
thresholds below were checked against this exact file, so any other file is refused. One
session per process, built lazily under a lock and rebuilt when ``settings.VAD_MODEL_PATH``
changes. A missing or altered file raises ``ModelUnavailable`` with a readable reason.

``speech_segments`` does what ``silero_vad.get_speech_timestamps`` does with its defaults
(threshold 0.5, neg threshold 0.35, min speech 250 ms, min silence 100 ms, speech pad 30 ms,
no maximum segment length), in numpy. The package itself needs torch; this module never
imports it.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from inference.errors import ModelUnavailable

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


@dataclass
class _Detector:
    path: Path
    session: Any = field(repr=False)


_lock = threading.Lock()
_detector: _Detector | None = None
# (path, size, mtime_ns) -> sha256, so health checks don't rehash an unchanged file.
_hashes: dict[tuple[str, int, int], str] = {}


def reset() -> None:
    """Forget the cached session and checksums (tests, or after replacing the file)."""
    global _detector
    with _lock:
        _detector = None
        _hashes.clear()


def model_path() -> Path:
    return Path(settings.VAD_MODEL_PATH)


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = _hashes.get(key)
    if digest is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _hashes[key] = digest
    return digest


def _unavailable(reason: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"Speech detection is unavailable: {reason}. See models/vad/README.md to restore it."
    )


def _verified_bytes(path: Path) -> bytes:
    """The model file's bytes, once their sha256 is the pinned one; else ``ModelUnavailable``."""
    try:
        data = path.read_bytes()
    except OSError:
        raise _unavailable(f"the voice-activity model file {path.name} is missing") from None
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise _unavailable(
            f"the voice-activity model file {path.name} does not match the sha256 of "
            f"{SOURCE}; it was altered or replaced"
        )
    return data


def _session() -> Any:
    global _detector
    path = model_path()
    detector = _detector
    if detector is not None and detector.path == path:
        return detector.session
    with _lock:
        if _detector is not None and _detector.path == path:
            return _detector.session
        # The session is built from the bytes that were checked, not from a second read.
        data = _verified_bytes(path)
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = settings.ORT_INTRA_OP_THREADS
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = onnxruntime.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises untyped errors for unloadable graphs
            raise _unavailable(f"{path.name} could not be loaded ({exc})") from exc
        _detector = _Detector(path=path, session=session)
        return session


def load() -> str:
    """Build the session now (worker start-up); returns the model's name. Raises
    ``ModelUnavailable``."""
    _session()
    return SOURCE


def status() -> dict[str, Any]:
    """Health of the bundled model in the shape of ``runtime.describe_active_models`` entries,
    without building a session."""
    path = model_path()
    detector = _detector
    loaded = detector is not None and detector.path == path
    if not path.is_file():
        return _status(False, None, loaded, f"file missing: {path}")
    if _file_sha256(path) != SHA256:
        return _status(False, False, loaded, "sha256 mismatch")
    return _status(True, True, loaded, None)


def _status(ok: bool, sha256_ok: bool | None, loaded: bool, error: str | None) -> dict[str, Any]:
    return {"ok": ok, "version": SOURCE, "sha256_ok": sha256_ok, "loaded": loaded, "error": error}


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
