"""Uploaded voice clips to model inputs.

WAV, FLAC, OGG (Vorbis/Opus) and MP3 are decoded through soundfile and resampled with soxr.
WebM and MP4/M4A (what browsers record) are decoded by an ``ffmpeg`` subprocess reading a
temporary file, at 48 kHz, and resampled with ``inference.resampling``, the resampler that
private mode runs in the browser on the same recording. Channels are averaged. Only the speech
that the voice-activity detector (``inference.vad``, a small bundled ONNX model) finds is kept,
and a clip with too little of it is refused; zero-mean/unit-variance.
Speech longer than ``max_seconds`` is cropped to its central ``max_seconds`` (one model run per
clip keeps worker time bounded).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inference import resampling
from inference.errors import InvalidMedia
from inference.media_sources import MediaSource, read_source

DEFAULT_AUDIO_PREPROCESSING: dict[str, Any] = {
    "sample_rate": 16000,
    "max_seconds": 8,
    "min_speech_seconds": 1.0,
}

# Uploads are capped upstream too; this bounds what this module will ever read into memory.
MAX_AUDIO_BYTES = 25 * 1024 * 1024
# Audio beyond this is never decoded (the model uses at most max_seconds of it anyway).
MAX_DECODE_SECONDS = 120
# Below this peak amplitude (about -60 dBFS) a clip is silence, whatever its length.
SILENCE_PEAK = 1e-3
FFMPEG_TIMEOUT_SECONDS = 30
# Browser recordings are decoded at this rate (Opus's own: no resampling inside ffmpeg), then
# resampled by ``inference.resampling`` exactly as private mode does in the browser
# (static/js/private/voice.mjs, decodeToMono16k).
RECORDING_RATE = 48000


# --- Decoding ----------------------------------------------------------------


@dataclass(frozen=True)
class AudioFormat:
    name: str
    decoder: str  # "soundfile" or "ffmpeg"


def sniff_audio_format(data: bytes) -> AudioFormat | None:
    """The container from the first bytes, or None when it is not an accepted audio type."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return AudioFormat("wav", "soundfile")
    if data[:4] == b"fLaC":
        return AudioFormat("flac", "soundfile")
    if data[:4] == b"OggS":
        return AudioFormat("ogg", "soundfile")
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return AudioFormat("mp3", "soundfile")
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return AudioFormat("webm", "ffmpeg")
    if data[4:8] == b"ftyp":
        return AudioFormat("mp4", "ffmpeg")
    return None


def decode_audio(source: MediaSource, *, sample_rate: int = 16000) -> np.ndarray:
    """Decode an upload to mono float32 at ``sample_rate``, or raise ``InvalidMedia``."""
    data = read_source(source, max_bytes=MAX_AUDIO_BYTES, what="audio")
    fmt = sniff_audio_format(data)
    if fmt is None:
        raise InvalidMedia(
            "Only WAV, FLAC, OGG (Vorbis or Opus), MP3, WebM and M4A audio is accepted.",
            status_code=415,
        )
    if fmt.decoder == "ffmpeg":
        path = Path(source) if isinstance(source, str | Path) else None
        samples = _decode_with_ffmpeg(data, path=path, sample_rate=sample_rate, fmt=fmt.name)
    else:
        samples = _decode_with_soundfile(data, sample_rate=sample_rate, fmt=fmt.name)
    if samples.size == 0:
        raise InvalidMedia("The audio clip is empty.")
    return samples


def _decode_with_soundfile(data: bytes, *, sample_rate: int, fmt: str) -> np.ndarray:
    import soundfile

    try:
        with soundfile.SoundFile(io.BytesIO(data)) as audio:
            source_rate = audio.samplerate
            frames = min(audio.frames, MAX_DECODE_SECONDS * source_rate) if audio.frames > 0 else -1
            samples = audio.read(frames=frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError, EOFError) as exc:
        raise InvalidMedia(
            f"The {fmt.upper()} audio is corrupt or truncated and could not be decoded."
        ) from exc
    if samples.size == 0:
        raise InvalidMedia("The audio clip is empty.")
    mono = samples.mean(axis=1, dtype=np.float32)
    if not np.all(np.isfinite(mono)):
        raise InvalidMedia("The audio clip contains invalid samples.")
    if source_rate != sample_rate:
        import soxr

        mono = soxr.resample(mono, source_rate, sample_rate).astype(np.float32, copy=False)
    return mono


def _decode_with_ffmpeg(
    data: bytes, *, path: Path | None, sample_rate: int, fmt: str
) -> np.ndarray:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InvalidMedia(
            f"{fmt.upper()} audio needs ffmpeg, which is not installed on this server.",
            status_code=415,
        )
    # ffmpeg reads MP4 from a seekable file only (the index may sit at the end), so never stdin.
    tmp_name = None
    if path is None:
        with tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False) as tmp:
            tmp.write(data)
            tmp_name = input_path = tmp.name
    else:
        input_path = str(path)
    # All channels as float32 WAV (its header says how many): ffmpeg's own downmix (-ac 1) is
    # not the plain average the browser takes.
    command = [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-t",
        str(MAX_DECODE_SECONDS),
        "-i",
        input_path,
        "-vn",
        "-ar",
        str(RECORDING_RATE),
        "-c:a",
        "pcm_f32le",
        "-f",
        "wav",
        "pipe:1",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise InvalidMedia(f"The {fmt.upper()} audio took too long to decode.") from exc
    finally:
        if tmp_name is not None:
            os.unlink(tmp_name)
    if result.returncode != 0 or not result.stdout:
        raise InvalidMedia(f"The {fmt.upper()} audio is corrupt, truncated or has no audio track.")
    mono = _mono_from_ffmpeg_wav(result.stdout, fmt=fmt)
    if not np.all(np.isfinite(mono)):
        raise InvalidMedia("The audio clip contains invalid samples.")
    return resampling.resample(mono, RECORDING_RATE, sample_rate)


def _mono_from_ffmpeg_wav(data: bytes, *, fmt: str) -> np.ndarray:
    """The channel average (float32, summed in channel order as the browser does) of the first
    ``MAX_DECODE_SECONDS`` of the WAV that ffmpeg wrote to a pipe (its size fields left open,
    which libsndfile accepts). ``-t`` stops ffmpeg at a packet boundary; the cut here is exact,
    as the browser's is."""
    import soundfile

    frames = MAX_DECODE_SECONDS * RECORDING_RATE
    try:
        samples, _ = soundfile.read(
            io.BytesIO(data), frames=frames, dtype="float32", always_2d=True
        )
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
        raise InvalidMedia(
            f"The {fmt.upper()} audio is corrupt, truncated or has no audio track."
        ) from exc
    if samples.size == 0:
        raise InvalidMedia("The audio clip is empty.")
    mono = samples[:, 0].copy()
    for channel in range(1, samples.shape[1]):
        mono += samples[:, channel]
    if samples.shape[1] > 1:
        mono /= np.float32(samples.shape[1])
    return mono


# --- Speech ------------------------------------------------------------------


def speech_spans(samples: np.ndarray, *, sample_rate: int = 16000) -> list[tuple[int, int]]:
    """(start, end) sample positions of the speech in ``samples``, as the voice-activity
    detector finds it. The detector runs at 16 kHz; other rates are resampled for detection
    only. Raises ``ModelUnavailable`` when the bundled detector is missing or altered."""
    from inference import vad

    if sample_rate == vad.SAMPLE_RATE:
        detect = samples
    else:
        import soxr

        detect = soxr.resample(samples, sample_rate, vad.SAMPLE_RATE).astype(np.float32)
    scale = sample_rate / vad.SAMPLE_RATE
    return [
        (round(segment.start * scale), round(segment.end * scale))
        for segment in vad.speech_segments(detect)
    ]


def keep_speech(samples: np.ndarray, *, sample_rate: int = 16000) -> np.ndarray:
    """The speech in ``samples`` (``speech_spans``), segments joined: pauses, leading and
    trailing silence, noise, hum, tones and music are dropped."""
    parts = [samples[start:end] for start, end in speech_spans(samples, sample_rate=sample_rate)]
    return np.concatenate(parts) if parts else samples[:0]


def gate_speech(
    samples: np.ndarray,
    *,
    sample_rate: int = 16000,
    max_seconds: float = 8,
    min_speech_seconds: float = 1.0,
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The detected speech (segments joined, the middle ``max_seconds`` of it) and the spans
    it came from. Raises ``InvalidMedia`` for an empty or silent clip or one with less than
    ``min_speech_seconds`` of speech, ``ModelUnavailable`` when the detector cannot be loaded.
    """
    if samples.size == 0:
        raise InvalidMedia("The audio clip is empty.")
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise InvalidMedia("The audio clip is silent; record again closer to the microphone.")
    spans = speech_spans(samples, sample_rate=sample_rate)
    speech = np.concatenate([samples[start:end] for start, end in spans]) if spans else samples[:0]
    seconds = speech.size / sample_rate
    if seconds < min_speech_seconds:
        raise InvalidMedia(
            f"We could not hear enough speech in the clip ({seconds:.1f} s detected, at least "
            f"{min_speech_seconds:g} s needed). Record again somewhere quiet and speak for a "
            "few seconds."
        )
    limit = int(max_seconds * sample_rate)
    if speech.size > limit:
        start = (speech.size - limit) // 2
        speech = speech[start : start + limit]
    return speech.astype(np.float32, copy=True), spans


def prepare_waveform(
    samples: np.ndarray,
    *,
    sample_rate: int = 16000,
    max_seconds: float = 8,
    min_speech_seconds: float = 1.0,
) -> np.ndarray:
    """The gated speech (``gate_speech``), zero-mean and unit-variance: (1, T) float32, the
    input of a waveform model such as Wav2Vec2."""
    speech, _ = gate_speech(
        samples,
        sample_rate=sample_rate,
        max_seconds=max_seconds,
        min_speech_seconds=min_speech_seconds,
    )
    speech -= speech.mean()
    speech /= np.sqrt(speech.var() + 1e-7)
    return speech[np.newaxis, :]


def waveform_options(params: dict[str, Any]) -> dict[str, Any]:
    """``prepare_waveform``'s keyword arguments from sidecar parameters, defaults filled in.

    Other keys are ignored: sidecars written before the speech detector also carry ``top_db``.
    """
    options = {**DEFAULT_AUDIO_PREPROCESSING, **params}
    return {
        "sample_rate": int(options["sample_rate"]),
        "max_seconds": float(options["max_seconds"]),
        "min_speech_seconds": float(options["min_speech_seconds"]),
    }


def preprocess_audio(source: MediaSource, **params: Any) -> np.ndarray:
    """Decode and normalise an upload for the voice model; params from the model sidecar."""
    options = waveform_options(params)
    return prepare_waveform(decode_audio(source, sample_rate=options["sample_rate"]), **options)
