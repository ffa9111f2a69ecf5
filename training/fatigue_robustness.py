"""How far the fatigue pipeline's P(fatigued) moves under the changes a webcam makes between
two photos of the same face, and how often the face gate then refuses the photo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from inference import face
from inference import fatigue as pipeline
from training.fatigue_pipeline import Predict, Prepared

# Changes a webcam makes between two photos of the same face; the score should barely move.
ROBUSTNESS_CHANGES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "darker (brightness x0.6)": lambda im: ImageEnhance.Brightness(im).enhance(0.6),
    "brighter (brightness x1.4)": lambda im: ImageEnhance.Brightness(im).enhance(1.4),
    "tilted 10 degrees": lambda im: im.rotate(10, resample=Image.Resampling.BILINEAR),
    "zoomed in (85% crop)": lambda im: im.crop(
        (
            round(im.width * 0.075),
            round(im.height * 0.075),
            round(im.width * 0.925),
            round(im.height * 0.925),
        )
    ).resize(im.size),
    "zoomed out (25% border)": lambda im: ImageOps.expand(
        im.resize((round(im.width * 0.8), round(im.height * 0.8))),
        border=(round(im.width * 0.1), round(im.height * 0.1)),
        fill=(90, 90, 90),
    ),
}


def robustness(
    prepared: list[Prepared], *, metadata: dict[str, Any], predict: Predict
) -> dict[str, Any]:
    """How far P(fatigued) moves, and how often the gate refuses, under each change."""
    photos = [p.photo for p in prepared if p.photo is not None]
    base = [
        pipeline.estimate(photo, metadata=metadata, predict=predict).probability for photo in photos
    ]
    result = {}
    for name, change in ROBUSTNESS_CHANGES.items():
        moves, refused = [], 0
        for photo, before in zip(photos, base, strict=True):
            try:
                moved = pipeline.estimate(change(photo), metadata=metadata, predict=predict)
            except face.PhotoRejected:
                refused += 1
                continue
            moves.append(abs(moved.probability - before))
        result[name] = {
            "photos": len(photos),
            "refused": refused,
            "mean_abs_change": round(float(np.mean(moves)), 4) if moves else None,
            "p90_abs_change": round(float(np.percentile(moves, 90)), 4) if moves else None,
        }
    return result
