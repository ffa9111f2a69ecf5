"""Media for tests: Pillow images, real speech from committed fixtures, WebM/M4A via ffmpeg."""

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from PIL import Image, ImageEnhance

RATE = 16000


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (320, 240),
    color: tuple[int, int, int] = (200, 180, 160),
    **save: Any,
) -> bytes:
    """A plain image of one colour: decodable, but no face (the gate refuses it)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


# NASA's public-domain portrait of astronaut Eileen Collins (scikit-image's sample data),
# cropped to head and shoulders: one real face that passes the photo gate.
PORTRAIT = Path(__file__).parent / "fixtures" / "astronaut.jpg"


def portrait(*, brightness: float = 1.0, size: int = 320) -> Image.Image:
    image = Image.open(PORTRAIT).convert("RGB").resize((size, size))
    return ImageEnhance.Brightness(image).enhance(brightness) if brightness != 1.0 else image


def eyes_shut(image: Image.Image) -> Image.Image:
    """The photo with skin painted over both eyes and a lid line, slightly blurred: the mesh
    then sees lids, not irises."""
    import numpy as np
    from PIL import ImageDraw, ImageFilter

    from inference import face

    open_eyes = face.analyse_face(image)
    closed = image.copy()
    draw = ImageDraw.Draw(closed)
    skin = tuple(int(v) for v in np.asarray(image)[150, 150])
    for eye in (face.RIGHT_EYE, face.LEFT_EYE):
        points = open_eyes.landmarks[list(eye), :2]
        (x0, y0), (x1, y1) = points.min(0) - 2, points.max(0) + 2
        draw.ellipse([x0, y0, x1, y1], fill=skin)
        draw.line([x0, (y0 + y1) / 2, x1, (y0 + y1) / 2], fill=(60, 40, 30), width=2)
    return closed.filter(ImageFilter.GaussianBlur(0.8))


def face_bytes(
    fmt: str = "JPEG", *, brightness: float = 1.0, size: int = 320, **save: Any
) -> bytes:
    """The portrait as an upload in ``fmt``."""
    buffer = io.BytesIO()
    portrait(brightness=brightness, size=size).save(buffer, fmt, **save)
    return buffer.getvalue()


# Real speech, committed so tests need no TTS at run time. Made once with Debian's espeak-ng
# 1.51 and resampled to 16 kHz mono PCM_16 with soxr (commands in fixtures/speech/README.md).
SPEECH_DIR = Path(__file__).parent / "fixtures" / "speech"
SPEECH_FIXTURES = ("good-morning", "meeting-ran-long", "a-little-tired", "busy-yesterday")


def speech_fixture(name: str = "good-morning") -> np.ndarray:
    """One committed sentence as float32 at 16 kHz."""
    samples, rate = soundfile.read(SPEECH_DIR / f"{name}.wav", dtype="float32")
    assert rate == RATE
    return samples


def speech(seconds: float | None = None, *, pad: float = 0.5, rate: int = RATE) -> np.ndarray:
    """Real speech: the committed sentences back to back, cut to ``seconds`` (all of them when
    None), with ``pad`` seconds of silence either side."""
    voice = np.concatenate([speech_fixture(name) for name in SPEECH_FIXTURES])
    if seconds is not None:
        voice = np.resize(voice, int(seconds * RATE))
    if rate != RATE:
        import soxr

        voice = soxr.resample(voice, RATE, rate)
    silence = np.zeros(int(pad * rate))
    return np.concatenate([silence, voice, silence]).astype(np.float32)


def harmonic_tone(
    seconds: float = 2.0, *, pad: float = 0.5, rate: int = RATE, seed: int = 0
) -> np.ndarray:
    """Modulated harmonics plus noise: loud and voiced-sounding, but not speech (the detector
    refuses it), with silence either side."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 560), 1))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)
    signal = 0.25 * voice * envelope + 0.01 * rng.standard_normal(t.size)
    silence = np.zeros(int(pad * rate))
    return np.concatenate([silence, signal, silence]).astype(np.float32)


def _pink(size: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(size))
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))  # 1/f power
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, size)
    return pink / np.abs(pink).max()


def not_speech(seconds: float = 5.0, *, rate: int = RATE) -> dict[str, np.ndarray]:
    """Loud clips with no speech in them, the kinds a microphone picks up instead of a voice."""
    rng = np.random.default_rng(11)
    size = int(seconds * rate)
    t = np.arange(size) / rate
    clips: dict[str, Any] = {
        "silence": np.zeros(size),
        "quiet room": 0.003 * rng.standard_normal(size),
        "white noise": 0.3 * rng.standard_normal(size),
        "pink noise": 0.5 * _pink(size, rng),
        "440 Hz tone": 0.5 * np.sin(2 * np.pi * 440 * t),
        "50 Hz hum": 0.4 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t),
        "chord": sum(0.2 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0)),
        # Three chords of a second each with decaying notes, like a keyboard in the room.
        "music": np.concatenate(
            [
                np.exp(-2 * t[:rate]) * sum(0.2 * np.sin(2 * np.pi * f * t[:rate]) for f in notes)
                for notes in ((220, 277.2, 329.6), (246.9, 311.1, 370), (196, 246.9, 293.7))
            ]
            * int(np.ceil(seconds / 3))
        )[:size],
        "synthetic harmonics": harmonic_tone(seconds, pad=0.0, rate=rate),
        "30 s of noise": 0.2 * rng.standard_normal(30 * rate),
    }
    return {name: clip.astype(np.float32) for name, clip in clips.items()}


def audio_bytes(
    fmt: str = "WAV",
    subtype: str | None = None,
    samples: np.ndarray | None = None,
    rate: int = RATE,
) -> bytes:
    samples = speech(2.0) if samples is None else samples
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def ffmpeg_encode(
    tmp_path: Path, suffix: str, codec_args: list[str], samples: np.ndarray | None = None
) -> Path:
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
