"""Media made in the test: images with Pillow, audio with soundfile, WebM/M4A with ffmpeg."""

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

RATE = 16000


def image_bytes(fmt: str = "JPEG", size=(320, 240), color=(200, 180, 160), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def speech_like(seconds: float = 2.0, *, pad: float = 0.5, rate: int = RATE, seed: int = 0):
    """A voiced-sounding signal (modulated harmonics plus noise) with silence either side."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 560), 1))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)
    signal = 0.25 * voice * envelope + 0.01 * rng.standard_normal(t.size)
    silence = np.zeros(int(pad * rate))
    return np.concatenate([silence, signal, silence]).astype(np.float32)


def audio_bytes(fmt: str = "WAV", subtype: str | None = None, samples=None, rate: int = RATE):
    samples = speech_like() if samples is None else samples
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def ffmpeg_encode(tmp_path: Path, suffix: str, codec_args: list[str], samples=None) -> Path:
    """Encode a WAV with the ffmpeg binary, as a browser's MediaRecorder would produce."""
    assert shutil.which("ffmpeg"), "ffmpeg is a required system package (see README)"
    source = tmp_path / "source.wav"
    source.write_bytes(audio_bytes("WAV", samples=samples))
    target = tmp_path / f"clip{suffix}"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            *codec_args,
            str(target),
        ],
        check=True,
        timeout=60,
    )
    return target
