"""Small media files made in the test itself: a face-sized PNG and a voice-like WAV clip."""

import io

import numpy as np
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_bytes(color: tuple[int, int, int] = (180, 150, 130), size: int = 96) -> bytes:
    rng = np.random.default_rng(1)
    pixels = np.clip(np.array(color) + rng.normal(0, 12, (size, size, 3)), 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float = 2.5, sample_rate: int = 16000, loud: float = 0.3) -> bytes:
    """Speech-like audio: a harmonic voice at ~140 Hz with syllable-rate amplitude modulation."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    rng = np.random.default_rng(2)
    signal = loud * voice * envelope / 2.3 + 0.005 * rng.normal(size=t.size)
    buffer = io.BytesIO()
    sf.write(buffer, signal.astype(np.float32), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def image_upload(name: str = "face.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or png_bytes(), content_type="image/png")


def audio_upload(name: str = "voice.wav", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or wav_bytes(), content_type="audio/wav")
