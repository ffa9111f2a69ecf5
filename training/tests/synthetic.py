"""Small synthetic data sets in the real layouts, made inside a test's tmp folder."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

PORTRAIT = (
    Path(__file__).resolve().parents[2] / "inference" / "tests" / "fixtures" / "astronaut.jpg"
)


def write_image_folders(root: Path, *, per_class: int = 6, size: int = 40) -> dict[str, Path]:
    """``root/yawn/{yawn,no_yawn}``: whole-face photos (the portrait fixture on different
    backgrounds and offsets, so the face gate passes them), brighter when fatigued; and
    ``root/eyes/{closed,open}``: eye-sized noise images, bright = fatigued."""
    rng = np.random.default_rng(0)
    portrait = Image.open(PORTRAIT).convert("RGB").resize((280, 280))
    layout = {"yawn": ("yawn", "no_yawn"), "eyes": ("closed", "open")}
    for subset, (fatigued, alert) in layout.items():
        for folder, base in ((fatigued, 200), (alert, 40)):
            target = root / subset / folder
            target.mkdir(parents=True)
            for i in range(per_class):
                if subset == "yawn":
                    # A smooth random backdrop and position: no two photos look alike to the
                    # perceptual hash, so the grouped split can spread them.
                    blocks = rng.integers(0, 255, (5, 5, 3), dtype=np.uint8)
                    canvas = Image.fromarray(blocks).resize((400, 400), Image.Resampling.BICUBIC)
                    face = portrait.point(lambda v, b=base: min(255, int(v * (0.8 + b / 1000))))
                    canvas.paste(face, tuple(int(v) for v in rng.integers(0, 120, 2)))
                    canvas.save(target / f"{folder}_{i}.jpg")
                    continue
                pixels = np.clip(base + rng.normal(0, 20, (size, size + 8, 3)), 0, 255)
                Image.fromarray(pixels.astype(np.uint8)).save(target / f"{folder}_{i}.jpg")
    return {subset: root / subset for subset in layout}


def write_speech_folder(
    root: Path, *, actors: int = 5, emotions=("01", "02", "04", "05"), per_emotion: int = 2
) -> Path:
    """RAVDESS-named FLAC clips of 2 s of real speech (the committed sentences of
    ``inference.tests.media``, so the speech detector keeps them); stressed emotions are sped
    up to a higher pitch, the others slowed down a little."""
    import soundfile
    import soxr

    from inference.tests.media import SPEECH_FIXTURES, speech_fixture

    rate = 16000
    for actor in range(1, actors + 1):
        folder = root / f"Actor_{actor:02d}"
        folder.mkdir(parents=True)
        voice = speech_fixture(SPEECH_FIXTURES[actor % len(SPEECH_FIXTURES)])
        for emotion in emotions:
            speed = 1.4 if emotion in {"04", "05", "06", "07"} else 0.9
            for rep in range(1, per_emotion + 1):
                start = int((0.3 * rep + 0.02 * actor) * rate)
                wave = soxr.resample(voice[start:], rate, rate / speed)[: 2 * rate]
                name = f"03-01-{emotion}-01-01-{rep:02d}-{actor:02d}.flac"
                soundfile.write(folder / name, wave.astype(np.float32), rate)
    return root


def write_burnout_csv(path: Path, *, rows: int = 160, seed: int = 0) -> Path:
    """HackerEarth columns; burn rate driven by mental fatigue; a few missing cells."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Employee ID",
                "Date of Joining",
                "Gender",
                "Company Type",
                "WFH Setup Available",
                "Designation",
                "Resource Allocation",
                "Mental Fatigue Score",
                "Burn Rate",
            ]
        )
        for i in range(rows):
            fatigue = round(float(rng.uniform(0, 10)), 1)
            burn = round(min(1.0, max(0.0, 0.09 * fatigue + rng.normal(0, 0.02))), 2)
            writer.writerow(
                [
                    f"emp{i}",
                    (date(2008, 1, 1) + timedelta(days=int(rng.integers(0, 365)))).isoformat(),
                    "Female" if i % 2 else "Male",
                    "Service" if i % 3 else "Product",
                    "Yes" if i % 4 else "No",
                    int(rng.integers(0, 6)),
                    "" if i % 17 == 0 else int(rng.integers(1, 11)),
                    "" if i % 19 == 0 else fatigue,
                    "" if i % 23 == 0 else burn,
                ]
            )
    return path
