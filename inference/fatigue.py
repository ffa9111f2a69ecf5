"""P(fatigued) from a face photo: the face gate, landmark crops, the CNN, a calibrated combiner.

1. ``inference.face.analyse_face`` refuses a photo without one usable face and measures it.
2. The fatigue CNN sees only crops cut from the landmarks, never the whole frame: the
   eye-aligned face square (for yawning) and each eye (for closed eyes).
3. Two small logistic models, fitted on the validation split when the CNN was trained and
   stored in its sidecar (``combiner``), turn those into probabilities:
   ``P(yawn)`` from the mouth aspect ratio and the CNN's face score, ``P(eyes closed)`` from
   the CNN's score of the two eyes and, once calibrated on whole faces
   (``training.fatigue_calibration``), the mesh's eye aspect ratio and the eye model's lid
   aspect ratio (``inference.eyelids``).
   ``P(fatigued) = 1 - (1 - P(yawn)) (1 - P(eyes closed))``: either sign is enough.

Pure functions of arrays and images plus one model call; no database, no torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from inference import eyelids, face
from inference.errors import ModelUnavailable
from inference.image_preprocessing import upright_rgb
from inference.preprocessing import image_to_tensor

PIPELINE = "face-landmarks-v1"


@dataclass(frozen=True)
class FatigueEstimate:
    probability: float
    yawn: float
    eyes_closed: float
    face_score: float  # the CNN's P(fatigued) of the face crop
    eye_scores: tuple[float, float]  # the CNN's P(fatigued) of the right and left eye
    features: dict[str, float]  # eye/mouth aspect ratios and head pose


def _logit(p: float) -> float:
    p = min(1 - 1e-6, max(1e-6, p))
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, x))))


def yawn_probability(combiner: dict, *, mouth_aspect_ratio: float, face_score: float) -> float:
    part = combiner["yawn"]
    weights = part["coef"]
    return _sigmoid(
        weights[0] * mouth_aspect_ratio + weights[1] * _logit(face_score) + part["intercept"]
    )


def eye_features(combiner: dict) -> list[str]:
    """What the combiner's eye part reads (older sidecars name none: the CNN's score only)."""
    return list(combiner["eyes"].get("features", ["logit_eyes"]))


def eyes_closed_probability(
    combiner: dict,
    *,
    eye_scores: Sequence[float],
    ear_mean: float | None = None,
    lid_ear_mean: float | None = None,
) -> float:
    """P(eyes closed) from the CNN's score of the two eyes and, for a combiner calibrated on
    whole faces (its ``features``), the mesh's mean eye aspect ratio (``ear_mean``) and the
    eye model's mean lid aspect ratio (``lid_ear_mean``)."""
    part = combiner["eyes"]
    values = {
        "logit_eyes": _logit(float(np.mean(eye_scores))),
        "ear_mean": ear_mean,
        "lid_ear_mean": lid_ear_mean,
    }
    total = part["intercept"]
    for name, weight in zip(eye_features(combiner), part["coef"], strict=True):
        value = values[name]
        if value is None:
            raise ValueError(f"The eye part of this combiner needs {name}.")
        total += weight * value
    return _sigmoid(total)


def combine(yawn: float, eyes_closed: float) -> float:
    return 1 - (1 - yawn) * (1 - eyes_closed)


def model_inputs(image: Image.Image, preprocessing: dict) -> tuple[face.FaceAnalysis, np.ndarray]:
    """The gate, then a batch of three CNN inputs: the face crop, the right and the left eye."""
    analysis = face.analyse_face(image)
    crops = [analysis.crop, *face.eye_crops(image, analysis)]
    batch = np.concatenate([image_to_tensor(crop, **preprocessing) for crop in crops])
    return analysis, batch


def estimate(
    image: Image.Image,
    *,
    metadata: dict,
    predict: Callable[[np.ndarray], np.ndarray],
    measure_lids: bool = False,
) -> FatigueEstimate:
    """P(fatigued) of ``image``; ``predict`` maps a batch to P(fatigued) per row. The eye
    model runs when the combiner reads its lids, or when ``measure_lids`` asks for them.

    Raises ``face.PhotoRejected`` (an ``InvalidMedia``) for a photo that fails the gate and
    ``ModelUnavailable`` for a model without a combiner (one trained before this pipeline).
    """
    combiner = metadata.get("combiner")
    if metadata.get("pipeline") != PIPELINE or not combiner:
        raise ModelUnavailable(
            f"The fatigue model {metadata.get('version', '?')} predates the face-landmark "
            "pipeline (no combiner in its sidecar); retrain it with manage.py train fatigue."
        )
    analysis, batch = model_inputs(image, metadata.get("preprocessing", {}))
    features = analysis.features()
    if measure_lids or "lid_ear_mean" in eye_features(combiner):
        features.update(lid_features(image, analysis))
    scores = np.asarray(predict(batch), dtype=np.float64).reshape(-1)
    face_score, right_eye, left_eye = (float(v) for v in scores[:3])
    yawn = yawn_probability(
        combiner, mouth_aspect_ratio=analysis.mouth_aspect_ratio, face_score=face_score
    )
    closed = eyes_closed_probability(
        combiner,
        eye_scores=(right_eye, left_eye),
        ear_mean=features["ear_mean"],
        lid_ear_mean=features.get("lid_ear_mean"),
    )
    return FatigueEstimate(
        probability=combine(yawn, closed),
        yawn=yawn,
        eyes_closed=closed,
        face_score=face_score,
        eye_scores=(right_eye, left_eye),
        features=features,
    )


def lid_features(image: Image.Image, analysis: face.FaceAnalysis) -> dict[str, float]:
    """The eye model's lid aspect ratio of each eye, and their mean."""
    right, left = eyelids.lid_aspect_ratios(upright_rgb(image), analysis.landmarks)
    return {"lid_ear_right": right, "lid_ear_left": left, "lid_ear_mean": (right + left) / 2}
