"""Turn uploaded bytes into model inputs. Pure functions: no database, no torch.

Images: content-sniffed JPEG/PNG/WebP only, decompression-bomb guard, EXIF orientation, RGB,
resize the shorter side + centre crop, ImageNet mean/std, NCHW float32.

Audio: WAV, FLAC, OGG (Vorbis/Opus) and MP3 through soundfile; WebM and MP4/M4A (what browsers
record) through an ``ffmpeg`` subprocess reading a temporary file. Mono, resampled with soxr;
only the speech that the voice-activity detector (``inference.vad``, a small bundled ONNX
model) finds is kept, and a clip with too little of it is refused; zero-mean/unit-variance.
Speech longer than ``max_seconds`` is cropped to its central ``max_seconds`` (one model run per
clip keeps worker time bounded).

The training pipeline imports these functions so that a model sees the same input in training
and in production.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference.errors import InvalidMedia

MediaSource = str | Path | BinaryIO | bytes

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_IMAGE_PREPROCESSING = {
    "image_size": 224,
    "resize": 256,
    "mean": list(IMAGENET_MEAN),
    "std": list(IMAGENET_STD),
}
DEFAULT_AUDIO_PREPROCESSING = {
    "sample_rate": 16000,
    "max_seconds": 8,
    "min_speech_seconds": 1.0,
}

# Uploads are capped upstream too; these bound what this module will ever read into memory.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 25 * 1024 * 1024
# A phone photo is 12-50 MP; anything larger is treated as a decompression bomb.
MAX_IMAGE_PIXELS = 60_000_000
# Audio beyond this is never decoded (the model uses at most max_seconds of it anyway).
MAX_DECODE_SECONDS = 120
# Below this peak amplitude (about -60 dBFS) a clip is silence, whatever its length.
SILENCE_PEAK = 1e-3
FFMPEG_TIMEOUT_SECONDS = 30

_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
# Markup that makes a file renderable as a page or script if it were ever served back. Not
# "<?xml": cameras write XMP metadata, which may carry it, into ordinary JPEGs.
# Plain substring search on a lower-cased copy: much faster than a regex on a large photo.
_MARKUP = (
    b"<script",
    b"<html",
    b"<!doctype",
    b"<iframe",
    b"<body",
    b"<svg",
    b"<object",
    b"<embed",
    b"javascript:",
)


# --- Reading sources ---------------------------------------------------------


def read_source(source: MediaSource, *, max_bytes: int, what: str) -> bytes:
    """Read all bytes of a path, bytes or binary file object (rewound afterwards)."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InvalidMedia(f"The {what} file could not be read: {exc.strerror}.") from exc
        if size > max_bytes:
            raise _too_large(what, max_bytes)
        data = path.read_bytes()
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
        if hasattr(source, "seek"):
            source.seek(0)
    if len(data) > max_bytes:
        raise _too_large(what, max_bytes)
    if not data:
        raise InvalidMedia(f"The {what} file is empty.")
    return data


def _too_large(what: str, max_bytes: int) -> InvalidMedia:
    return InvalidMedia(
        f"The {what} file is larger than {max_bytes // (1024 * 1024)} MB.", status_code=413
    )


# --- Images ------------------------------------------------------------------


def sniff_image_format(data: bytes) -> str | None:
    """The image format from the first bytes, or None when it is not JPEG/PNG/WebP."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _has_markup(data: bytes) -> bool:
    lowered = data.lower()
    return any(token in lowered for token in _MARKUP)


def _png_has_trailing_data(data: bytes) -> bool:
    end = data.rfind(b"IEND")
    # IEND chunk: 4-byte type + 4-byte CRC; anything after is not part of the image.
    return end == -1 or len(data) > end + 8


def decode_image(source: MediaSource) -> Image.Image:
    """Decode an upload into an upright RGB image, or raise ``InvalidMedia``.

    Rejects anything that is not JPEG/PNG/WebP by content (415), truncated or corrupt files,
    images over ``MAX_IMAGE_PIXELS`` and files carrying HTML/script markup (400).
    """
    data = read_source(source, max_bytes=MAX_IMAGE_BYTES, what="image")
    fmt = sniff_image_format(data)
    if fmt is None:
        raise InvalidMedia("Only JPEG, PNG and WebP images are accepted.", status_code=415)
    if _has_markup(data) or (fmt == "PNG" and _png_has_trailing_data(data)):
        raise InvalidMedia("The image contains data that is not part of a picture.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                _check_pixels(probe.size)
                probe.verify()
            # verify() leaves the image unusable; reopen to decode.
            image = Image.open(io.BytesIO(data), formats=[fmt])
            _check_pixels(image.size)
            if fmt == "JPEG":
                # Decode at a reduced scale straight from the DCT when the photo is large.
                image.draft("RGB", (512, 512))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb() from exc
    except InvalidMedia:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidMedia("The image is corrupt or truncated and could not be decoded.") from exc
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InvalidMedia("The image has no pixels.")
    if width * height > MAX_IMAGE_PIXELS:
        raise _bomb()


def _bomb() -> InvalidMedia:
    return InvalidMedia(
        f"The image is too large ({MAX_IMAGE_PIXELS // 1_000_000} megapixels at most)."
    )


def image_to_tensor(
    image: Image.Image,
    *,
    image_size: int = 224,
    resize: int = 256,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> np.ndarray:
    """Resize the shorter side to ``resize``, centre-crop ``image_size``, normalise; (1,3,H,W)."""
    width, height = image.size
    scale = resize / min(width, height)
    new_size = (max(image_size, round(width * scale)), max(image_size, round(height * scale)))
    image = image.resize(new_size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    left = (new_size[0] - image_size) // 2
    top = (new_size[1] - image_size) // 2
    image = image.crop((left, top, left + image_size, top + image_size))
    array = np.asarray(image, dtype=np.float32) * (1.0 / 255.0)
    array = (array - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(array.transpose(2, 0, 1)[np.newaxis])


def preprocess_image(source: MediaSource, **params) -> np.ndarray:
    """Decode and normalise an upload for the fatigue model; params from the model sidecar."""
    options = {**DEFAULT_IMAGE_PREPROCESSING, **params}
    return image_to_tensor(
        decode_image(source),
        image_size=int(options["image_size"]),
        resize=int(options["resize"]),
        mean=options["mean"],
        std=options["std"],
    )


# --- Audio -------------------------------------------------------------------


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
            tmp_name = tmp.name
    input_path = str(path) if path is not None else tmp_name
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
        "-f",
        "f32le",
        "-ac",
        "1",
        "-ar",
        str(sample_rate),
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
    usable = len(result.stdout) - len(result.stdout) % 4
    samples = np.frombuffer(result.stdout[:usable], dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(samples)):
        raise InvalidMedia("The audio clip contains invalid samples.")
    return samples


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


def waveform_options(params: dict) -> dict:
    """``prepare_waveform``'s keyword arguments from sidecar parameters, defaults filled in.

    Other keys are ignored: sidecars written before the speech detector also carry ``top_db``.
    """
    options = {**DEFAULT_AUDIO_PREPROCESSING, **params}
    return {
        "sample_rate": int(options["sample_rate"]),
        "max_seconds": float(options["max_seconds"]),
        "min_speech_seconds": float(options["min_speech_seconds"]),
    }


def preprocess_audio(source: MediaSource, **params) -> np.ndarray:
    """Decode and normalise an upload for the voice model; params from the model sidecar."""
    options = waveform_options(params)
    return prepare_waveform(decode_audio(source, sample_rate=options["sample_rate"]), **options)
