"""The voice trainers' data: labelled clips under a label scheme, the split by speaker, and
waveforms prepared exactly as the scorer prepares them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from inference.errors import InvalidMedia
from inference.preprocessing import (
    DEFAULT_AUDIO_PREPROCESSING,
    decode_audio,
    prepare_waveform,
    waveform_options,
)
from training.config import TrainOptions
from training.datasets import (
    EMOTION_STRESS_WEIGHTS,
    EMOTIONS,
    STRESS_MAP,
    GroupSplit,
    SpeechSample,
    speech_samples,
    split_groups,
)

STRESS_LABELS = ["not_stressed", "stressed"]


def labels_for(scheme: str) -> tuple[list[str], dict[str, float]]:
    if scheme == "binary":
        return list(STRESS_LABELS), {"not_stressed": 0.0, "stressed": 1.0}
    if scheme == "emotion8":
        return list(EMOTIONS), dict(EMOTION_STRESS_WEIGHTS)
    raise ValueError(f"Unknown voice label scheme {scheme!r}; use 'binary' or 'emotion8'.")


def sample_label(sample: SpeechSample, scheme: str) -> str | None:
    if scheme == "binary":
        return STRESS_MAP[sample.emotion]
    return sample.emotion if sample.emotion in EMOTIONS else None


def label_index(sample: SpeechSample, scheme: str, labels: list[str]) -> int:
    """The position in ``labels`` of a labelled sample's label."""
    label = sample_label(sample, scheme)
    if label is None:
        raise ValueError(f"{sample.path.name} has no {scheme} label.")
    return labels.index(label)


def labelled_samples(options: TrainOptions) -> list[SpeechSample]:
    samples = [s for s in speech_samples(options.data_dirs) if sample_label(s, options.scheme)]
    if options.max_samples:
        per_speaker: dict[tuple[str, str | None], list[SpeechSample]] = {}
        for s in samples:
            per_speaker.setdefault((s.speaker, sample_label(s, options.scheme)), []).append(s)
        samples = [s for group in per_speaker.values() for s in group[: options.max_samples]]
    return samples


def data_files(options: TrainOptions) -> list[Path]:
    return [s.path for s in labelled_samples(options)]


def speaker_split(
    samples: list[SpeechSample], *, seed: int, held_out: tuple[str, ...] = ()
) -> GroupSplit:
    """About 70/10/20% of speakers; no speaker is in two parts. With ``held_out`` those
    speakers are the test part and two others, chosen by ``seed``, the validation part."""
    if not held_out:
        return split_groups(
            [s.speaker for s in samples], seed=seed, val_fraction=0.1, test_fraction=0.2
        )
    rest = sorted({s.speaker for s in samples} - set(held_out))
    random.Random(seed).shuffle(rest)
    return GroupSplit(train=sorted(rest[2:]), val=sorted(rest[:2]), test=sorted(held_out))


def part_of(sample: SpeechSample, split: GroupSplit) -> str:
    if sample.speaker in split.test:
        return "test"
    return "val" if sample.speaker in split.val else "train"


def held_out(options: TrainOptions, *, part: str = "test") -> list[SpeechSample]:
    """The samples of ``part`` of the speaker split. The voice feature model holds every actor
    out once by cross-validation, so for it only ``all`` is unseen data."""
    samples = labelled_samples(options)
    if part == "all":
        return samples
    split = speaker_split(samples, seed=options.seed, held_out=options.held_out)
    return [s for s in samples if part_of(s, split) == part]


def preprocessing() -> dict[str, Any]:
    return dict(DEFAULT_AUDIO_PREPROCESSING)


def load_waveforms(
    samples: list[SpeechSample], prep: dict[str, Any]
) -> tuple[list[np.ndarray], list[SpeechSample], list[str]]:
    """Decode, keep the speech, normalise every clip as inference does; rejects are listed."""
    waves, kept, rejected = [], [], []
    options = waveform_options(prep)
    for s in samples:
        try:
            audio = decode_audio(s.path, sample_rate=options["sample_rate"])
            waves.append(prepare_waveform(audio, **options))
            kept.append(s)
        except InvalidMedia as exc:
            rejected.append(f"{s.path.name}: {exc.message}")
    return waves, kept, rejected
