"""The fatigue model's data: labelled face and eye images, their grouped split and the
preprocessing recorded in the sidecar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inference.preprocessing import IMAGENET_MEAN, IMAGENET_STD
from training import dedup
from training.config import TrainOptions
from training.datasets import FATIGUE_LABEL_MAP, ImageSample, image_folder_samples
from training.fatigue_model import CONFIGS


def data_files(options: TrainOptions) -> list[Path]:
    return [s.path for s in labelled_samples(options)]


def labelled_samples(options: TrainOptions) -> list[ImageSample]:
    samples = image_folder_samples(options.data_dirs, FATIGUE_LABEL_MAP)
    if options.max_samples:
        capped: dict[tuple[str, str], list[ImageSample]] = {}
        for s in samples:
            capped.setdefault((s.subset, s.label), []).append(s)
        samples = [s for group in capped.values() for s in group[: options.max_samples]]
    return samples


def split(
    samples: list[ImageSample], *, seed: int
) -> tuple[list[ImageSample], list[ImageSample], list[ImageSample]]:
    """About 70/10/20, stratified by subset and class, with near-duplicate images (perceptual
    hash within ``dedup.DEFAULT_MAX_DISTANCE`` bits) kept on one side: the images carry no
    subject ids, and frames of the same person would otherwise sit in train and test."""
    strata = [f"{s.subset}/{s.label}" for s in samples]
    groups = dedup.duplicate_groups(dedup.hash_files(s.path for s in samples))
    # Look-alikes across subsets are different data sets: keep the groups within a subset.
    # (A plain string key: hash() of a str changes between processes, and the split must not.)
    keyed = [f"{s.subset}:{g}" for s, g in zip(samples, groups, strict=True)]
    train_idx, val_idx, test_idx = dedup.grouped_split(
        keyed, strata, seed=seed, val_fraction=0.1, test_fraction=0.2
    )
    return (
        [samples[i] for i in train_idx],
        [samples[i] for i in val_idx],
        [samples[i] for i in test_idx],
    )


def held_out(options: TrainOptions, *, part: str = "test") -> list[ImageSample]:
    samples = labelled_samples(options)
    if part == "all":
        return samples
    return dict(zip(("train", "val", "test"), split(samples, seed=options.seed), strict=True))[part]


def preprocessing(options: TrainOptions) -> dict[str, Any]:
    """Input size, resize and normalisation: the config's, or the pretrained checkpoint's."""
    cfg = CONFIGS[options.config]
    prep: dict[str, Any] = {
        "image_size": cfg.image_size,
        "resize": cfg.resize,
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
    }
    if options.pretrained:
        processor = Path(options.pretrained) / "preprocessor_config.json"
        if processor.exists():
            conf = json.loads(processor.read_text())
            prep["mean"] = conf.get("image_mean", prep["mean"])
            prep["std"] = conf.get("image_std", prep["std"])
            size = conf.get("size")
            edge = size.get("shortest_edge") if isinstance(size, dict) else size
            if isinstance(edge, int):
                # The checkpoint's own resolution: e.g. 224 crop from 256 (crop_pct 0.875).
                prep["image_size"] = edge
                prep["resize"] = round(edge / float(conf.get("crop_pct") or 0.875))
    return prep
