"""Dataset loaders for the three model kinds, and seeded splits.

Loaders return plain records (path + label + group ids); decoding and preprocessing happen in
the trainers so that a loader can be tested on file names alone.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from inference import burnout_features

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3"}

# Folder name (normalised) -> fatigue class. Matched exactly: "Non Drowsy" contains "drowsy",
# so a substring test would put alert faces in the fatigued class.
FATIGUE_LABEL_MAP: dict[str, str] = {
    "yawn": "fatigued",
    "no_yawn": "alert",
    "closed": "fatigued",
    "closed_eyes": "fatigued",
    "open": "alert",
    "open_eyes": "alert",
    "drowsy": "fatigued",
    "non_drowsy": "alert",
}
FATIGUE_LABELS: list[str] = ["alert", "fatigued"]

EMOTIONS: list[str] = [
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
]
# Binary stress mapping; "surprised" is ambiguous and left out of binary training/evaluation.
STRESS_MAP: dict[str, str | None] = {
    "neutral": "not_stressed",
    "calm": "not_stressed",
    "happy": "not_stressed",
    "sad": "stressed",
    "angry": "stressed",
    "fearful": "stressed",
    "disgust": "stressed",
    "surprised": None,
    # Folders of an operator's own clips may be labelled with the binary label itself.
    "stressed": "stressed",
    "not_stressed": "not_stressed",
}


def stress_label(emotion: str) -> str:
    """The binary stress label of an emotion that has one (``STRESS_MAP``)."""
    label = STRESS_MAP[emotion]
    if label is None:
        raise ValueError(f"{emotion!r} has no stress label.")
    return label


# Per-class stress weights for the 8-class scheme (score = sum p_c * w_c).
EMOTION_STRESS_WEIGHTS: dict[str, float] = {
    "neutral": 0.3,
    "calm": 0.2,
    "happy": 0.1,
    "sad": 0.6,
    "angry": 0.9,
    "fearful": 0.85,
    "disgust": 0.8,
    "surprised": 0.4,
}

_RAVDESS_EMOTIONS = {f"{i + 1:02d}": name for i, name in enumerate(EMOTIONS)}
_CREMA_EMOTIONS = {
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
_TESS_EMOTIONS = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fearful",
    "happy": "happy",
    "neutral": "neutral",
    "ps": "surprised",
    "pleasant_surprise": "surprised",
    "pleasant_surprised": "surprised",
    "sad": "sad",
}
_RAVDESS_RE = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_CREMA_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
_TESS_RE = re.compile(r"^(OAF|YAF)_([A-Za-z]+)_([A-Za-z_]+)$", re.IGNORECASE)


class DatasetError(ValueError):
    """The data folder is missing, empty or not in a layout the loader understands."""


# --- Images --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageSample:
    path: Path
    label: str
    subset: str  # the data set the class folder belongs to ("yawn", "eyes"), evaluated apart


def normalise_folder_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def image_folder_samples(
    roots: Iterable[Path | str], label_map: Mapping[str, str] = FATIGUE_LABEL_MAP
) -> list[ImageSample]:
    """Images under class folders whose normalised name is a key of ``label_map``.

    A root may be a class folder's parent (``yawn/{yawn,no_yawn}``) or contain several such
    parents. The subset of an image is the name of its class folder's parent.
    """
    samples: list[ImageSample] = []
    for root in map(Path, roots):
        if not root.is_dir():
            raise DatasetError(f"Image folder {root} does not exist.")
        class_dirs = [root, *sorted(p for p in root.rglob("*") if p.is_dir())]
        for class_dir in class_dirs:
            label = label_map.get(normalise_folder_name(class_dir.name))
            if label is None:
                continue
            subset = normalise_folder_name(class_dir.parent.name)
            for path in sorted(class_dir.iterdir()):
                if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                    samples.append(ImageSample(path=path, label=label, subset=subset))
    if not samples:
        known = ", ".join(sorted(label_map))
        raise DatasetError(f"No images found in class folders named one of: {known}.")
    return samples


# --- Speech --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeechSample:
    path: Path
    emotion: str
    speaker: str
    corpus: str


def parse_speech_filename(path: Path | str) -> SpeechSample | None:
    """Emotion and speaker from RAVDESS, CREMA-D or TESS file-name conventions, else None."""
    path = Path(path)
    stem = path.stem
    if m := _RAVDESS_RE.match(stem):
        modality, channel, emotion, _intensity, _statement, _rep, actor = m.groups()
        # Only audio of speech (channel 01); songs and video files are other tasks.
        if channel != "01" or modality not in {"01", "02", "03"}:
            return None
        name = _RAVDESS_EMOTIONS.get(emotion)
        if name is None:
            return None
        return SpeechSample(path, name, f"ravdess-{actor}", "ravdess")
    if m := _CREMA_RE.match(stem):
        speaker, _sentence, emotion, _level = m.groups()
        name = _CREMA_EMOTIONS.get(emotion)
        return SpeechSample(path, name, f"crema-{speaker}", "crema-d") if name else None
    if m := _TESS_RE.match(stem):
        speaker, _word, emotion = m.groups()
        name = _TESS_EMOTIONS.get(emotion.lower())
        return SpeechSample(path, name, f"tess-{speaker.upper()}", "tess") if name else None
    return None


def folder_labelled_sample(path: Path, root: Path) -> SpeechSample | None:
    """A clip in a folder named for its label (``<root>/[<speaker>/]<label>/<clip>``, label one
    of ``STRESS_MAP``'s keys: an emotion, ``stressed`` or ``not_stressed``), else None. The
    folder above the label names the speaker, so cross-validation can hold speakers out."""
    label = path.parent.name.lower()
    if label not in STRESS_MAP:
        return None
    relative = path.parent.relative_to(root).parts
    speaker = relative[-2] if len(relative) >= 2 else root.name
    return SpeechSample(path, label, f"folder-{speaker}", f"folder:{root.name}")


def speech_samples(roots: Iterable[Path | str]) -> list[SpeechSample]:
    """Labelled clips under ``roots``: RAVDESS, CREMA-D or TESS file names, or folders named for
    the label (``folder_labelled_sample``)."""
    samples: list[SpeechSample] = []
    for root in map(Path, roots):
        if not root.is_dir():
            raise DatasetError(f"Audio folder {root} does not exist.")
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES:
                sample = parse_speech_filename(path) or folder_labelled_sample(path, root)
                if sample is not None:
                    samples.append(sample)
    if not samples:
        raise DatasetError(
            "No speech files with RAVDESS, CREMA-D or TESS file names, or in folders named "
            f"for their label ({', '.join(STRESS_MAP)}), were found."
        )
    return samples


# --- Burnout CSV ---------------------------------------------------------------------------

BURNOUT_FEATURES: list[str] = list(burnout_features.BURNOUT_FEATURES)
# Tenure is counted up to this day: the challenge data are a snapshot taken at the end of 2008
# (every joining date falls in 2008). Inference counts up to the scoring day instead.
BURNOUT_REFERENCE_DATE = date(2009, 1, 1)
# How a profile becomes f0..f5, in the encoding language of ``inference.tabular`` (which both
# training and scoring use, so the two cannot drift apart), tenure counted up to that day.
BURNOUT_FEATURE_ENCODING: dict[str, dict[str, Any]] = {
    **burnout_features.BURNOUT_FEATURE_ENCODING,
    "tenure_days": {
        **burnout_features.BURNOUT_FEATURE_ENCODING["tenure_days"],
        "reference_date": BURNOUT_REFERENCE_DATE.isoformat(),
    },
}
BURNOUT_TARGET_COLUMN = "Burn Rate"


@dataclass(frozen=True)
class BurnoutTable:
    features: np.ndarray  # float32 (n, len(BURNOUT_FEATURES)); NaN where missing
    target: np.ndarray  # float32 (n,); NaN where missing
    ids: list[str]


def burnout_csv_path(path: Path | str) -> Path:
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*.csv"))
        if not candidates:
            raise DatasetError(f"No CSV file in {path}.")
        path = next((p for p in candidates if p.name == "train.csv"), candidates[0])
    if not path.is_file():
        raise DatasetError(f"Burnout CSV {path} does not exist.")
    return path


def load_burnout_csv(path: Path | str) -> BurnoutTable:
    """The HackerEarth burnout CSV as numbers; missing values stay NaN (XGBoost handles them).

    Rows are encoded by ``inference.tabular``, the same code that encodes a profile at scoring
    time.
    """
    import csv

    from inference.errors import InvalidMedia
    from inference.tabular import (
        HACKEREARTH_COLUMNS,
        encode_features,
        features_from_hackerearth_row,
    )

    path = burnout_csv_path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        needed = [*HACKEREARTH_COLUMNS.values(), BURNOUT_TARGET_COLUMN]
        missing = [c for c in needed if c not in header]
        if missing:
            raise DatasetError(f"{path.name} lacks the columns: {', '.join(missing)}.")
        rows, targets, ids = [], [], []
        for line, row in enumerate(reader, start=2):
            try:
                values = features_from_hackerearth_row(row, reference_date=BURNOUT_REFERENCE_DATE)
                encoded = encode_features(
                    values, feature_names=BURNOUT_FEATURES, encoding=BURNOUT_FEATURE_ENCODING
                )
            except InvalidMedia as exc:
                raise DatasetError(f"{path.name} line {line}: {exc.message}") from exc
            rows.append(encoded[0])
            target = (row.get(BURNOUT_TARGET_COLUMN) or "").strip()
            try:
                targets.append(float(target) if target else np.nan)
            except ValueError:
                raise DatasetError(f"{path.name} line {line}: Burn Rate {target!r}.") from None
            ids.append(row.get("Employee ID") or str(line))
    if not rows:
        raise DatasetError(f"{path.name} has no rows.")
    return BurnoutTable(
        features=np.stack(rows).astype(np.float32),
        target=np.asarray(targets, dtype=np.float32),
        ids=ids,
    )


# --- Splits --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSplit:
    train: list[str]
    val: list[str]
    test: list[str]


def split_groups(
    groups: Sequence[str], *, seed: int, val_fraction: float, test_fraction: float
) -> GroupSplit:
    """Seeded split of group ids (speakers) into disjoint train/val/test sets."""
    unique = sorted(set(groups))
    if len(unique) < 3:
        raise DatasetError(f"A split by speaker needs at least 3 speakers, found {len(unique)}.")
    rng = random.Random(seed)
    rng.shuffle(unique)
    n_test = max(1, round(len(unique) * test_fraction))
    n_val = max(1, round(len(unique) * val_fraction)) if val_fraction > 0 else 0
    n_test = min(n_test, len(unique) - n_val - 1)
    test = sorted(unique[:n_test])
    val = sorted(unique[n_test : n_test + n_val])
    train = sorted(unique[n_test + n_val :])
    return GroupSplit(train=train, val=val, test=test)


def split_indices(
    n: int,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    stratify: Sequence[str] | None = None,
) -> tuple[list[int], list[int], list[int]]:
    """Seeded random split of row indices, stratified by ``stratify`` when given."""
    rng = random.Random(seed)
    strata: dict[str, list[int]] = {}
    for i in range(n):
        strata.setdefault(stratify[i] if stratify is not None else "", []).append(i)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for key in sorted(strata):
        idx = strata[key]
        rng.shuffle(idx)
        # Every stratum with three or more rows gets at least one validation and test row.
        floor = 1 if len(idx) >= 3 else 0
        n_test = max(floor if test_fraction > 0 else 0, round(len(idx) * test_fraction))
        n_val = max(floor if val_fraction > 0 else 0, round(len(idx) * val_fraction))
        test += idx[:n_test]
        val += idx[n_test : n_test + n_val]
        train += idx[n_test + n_val :]
    return sorted(train), sorted(val), sorted(test)


def fingerprint_files(paths: Iterable[Path], extra: Mapping[str, object]) -> str:
    """Content hash of the data files plus the training parameters (to skip unchanged runs)."""
    digest = hashlib.sha256()
    digest.update(repr(sorted(extra.items())).encode())
    for path in sorted(map(Path, paths)):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
