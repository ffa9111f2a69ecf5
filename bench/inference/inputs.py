"""The benchmark's inputs: a webcam-sized photo with one real face and clips of real speech,
since the face gate and the speech detector refuse anything synthetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.inference.common import PORTRAIT, SPEECH_DIR


def sample_image(work: Path) -> Path:
    """A 960x720 webcam-sized photo with one real face (the portrait fixture): the face gate
    refuses anything else."""
    from PIL import Image

    path = work / "face.jpg"
    canvas = Image.new("RGB", (960, 720), (96, 100, 104))
    canvas.paste(Image.open(PORTRAIT).convert("RGB").resize((600, 600)), (180, 60))
    canvas.save(path, "JPEG", quality=90)
    return path


def burst_archive(image: Path, work: Path, frames: int = 12) -> Path:
    """A burst as the check-in stores it: ``frames`` copies of ``image`` in one archive."""
    from inference import burst

    path = work / "burst.zip"
    path.write_bytes(burst.pack([image.read_bytes()] * frames))
    return path


def real_speech(seconds: float, *, seed: int) -> np.ndarray:
    """``seconds`` of the committed test sentences (real speech, 16 kHz) back to back, starting
    ``seed`` seconds in; synthetic tones would be refused by the speech detector."""
    import soundfile

    voice = np.concatenate(
        [soundfile.read(path, dtype="float32")[0] for path in sorted(SPEECH_DIR.glob("*.wav"))]
    )
    return np.resize(np.roll(voice, -seed * 16000), int(seconds * 16000))


def sample_clip(work: Path, seconds: float) -> Path:
    import soundfile

    path = work / f"speech-{seconds:g}s.wav"
    soundfile.write(path, real_speech(seconds, seed=int(seconds)), 16000)
    return path
