"""Small synthetic data sets in the real layouts, made inside a test's tmp folder."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image


def write_image_folders(root: Path, *, per_class: int = 6, size: int = 40) -> dict[str, Path]:
    """``root/yawn/{yawn,no_yawn}`` and ``root/eyes/{closed,open}``: bright = fatigued."""
    rng = np.random.default_rng(0)
    layout = {"yawn": ("yawn", "no_yawn"), "eyes": ("closed", "open")}
    for subset, (fatigued, alert) in layout.items():
        for folder, base in ((fatigued, 200), (alert, 40)):
            target = root / subset / folder
            target.mkdir(parents=True)
            for i in range(per_class):
                pixels = np.clip(base + rng.normal(0, 20, (size, size + 8, 3)), 0, 255)
                Image.fromarray(pixels.astype(np.uint8)).save(target / f"{folder}_{i}.jpg")
    return {subset: root / subset for subset in layout}


def write_speech_folder(
    root: Path, *, actors: int = 5, emotions=("01", "02", "04", "05"), per_emotion: int = 2
) -> Path:
    """RAVDESS-named FLAC clips (1.6 s tones); stressed emotions get a higher pitch."""
    import soundfile

    rate = 16000
    t = np.arange(int(1.6 * rate)) / rate
    for actor in range(1, actors + 1):
        folder = root / f"Actor_{actor:02d}"
        folder.mkdir(parents=True)
        for emotion in emotions:
            pitch = 440.0 if emotion in {"04", "05", "06", "07"} else 150.0
            for rep in range(1, per_emotion + 1):
                wave = 0.3 * np.sin(2 * np.pi * (pitch + 10 * actor + rep) * t)
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
