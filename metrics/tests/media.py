"""Small media files for check-in tests: a real face as PNG and a WAV clip of real speech."""

import io

import numpy as np
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inference.tests.media import face_bytes, harmonic_tone, speech


def png_bytes(*, size: int = 320, face: bool = True) -> bytes:
    """A PNG photo: the portrait fixture (one real face, passes the photo gate) at ``size`` px,
    or with ``face=False`` a skin-coloured noise patch of that size (no face: refused)."""
    if face:
        return face_bytes("PNG", size=size)
    rng = np.random.default_rng(1)
    pixels = np.clip(np.array((180, 150, 130)) + rng.normal(0, 12, (size, size, 3)), 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float = 2.5, sample_rate: int = 16000, *, tone: bool = False) -> bytes:
    """A WAV clip of ``seconds`` of real speech (committed fixtures, see ``inference.tests.media``)
    with 0.25 s of silence either side; ``tone=True`` gives a synthetic harmonic tone instead,
    which the speech detector refuses."""
    make = harmonic_tone if tone else speech
    signal = make(seconds, pad=0.25, rate=sample_rate)
    buffer = io.BytesIO()
    sf.write(buffer, signal, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def image_upload(name: str = "face.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or png_bytes(), content_type="image/png")


def audio_upload(name: str = "voice.wav", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or wav_bytes(), content_type="audio/wav")
