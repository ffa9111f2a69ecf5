"""What the face mesh says about tiredness: eye and mouth aspect ratios, head pose, sharpness."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

# FaceMesh indices: p1..p6 of each eye for the eye aspect ratio, and the mouth.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)
LEFT_EYE = (362, 385, 387, 263, 373, 380)
MOUTH_INNER = (13, 14)
MOUTH_CORNERS = (78, 308)
NOSE_TIP = 1
CHIN = 152


def _distance(points: np.ndarray, i: int, j: int) -> float:
    return float(np.linalg.norm(points[i, :2] - points[j, :2]))


def eye_aspect_ratio(points: np.ndarray, eye: tuple[int, ...]) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|): about 0.25-0.35 open, below about 0.15 closed."""
    p1, p2, p3, p4, p5, p6 = eye
    width = _distance(points, p1, p4)
    if width <= 0:
        return 0.0
    return (_distance(points, p2, p6) + _distance(points, p3, p5)) / (2 * width)


def mouth_aspect_ratio(points: np.ndarray) -> float:
    """Lip gap over mouth width: near 0 closed, 0.5 or more for a yawn."""
    width = _distance(points, *MOUTH_CORNERS)
    return _distance(points, *MOUTH_INNER) / width if width > 0 else 0.0


def head_pose(points: np.ndarray) -> tuple[float, float, float]:
    """Rough yaw, pitch and roll in degrees from where the nose sits between eyes and chin."""
    right = points[list(RIGHT_EYE), :2].mean(0)
    left = points[list(LEFT_EYE), :2].mean(0)
    eyes = (right + left) / 2
    span = float(np.linalg.norm(left - right)) or 1.0
    roll = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
    axis = (left - right) / span
    normal = np.array([-axis[1], axis[0]])
    nose = points[NOSE_TIP, :2] - eyes
    chin = float(np.dot(points[CHIN, :2] - eyes, normal)) or 1.0
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, 2 * float(np.dot(nose, axis)) / span))))
    pitch = math.degrees(math.atan2(float(np.dot(nose, normal)) / chin - 0.45, 0.5))
    return yaw, pitch, roll


def luma(patch: Image.Image) -> np.ndarray:
    """The grey levels (0-255) of ``patch``."""
    return np.asarray(patch.convert("L"), dtype=np.float32)


def sharpness(patch: Image.Image) -> float:
    """Variance of the Laplacian of the grey crop (low = blurred or out of focus)."""
    grey = patch.convert("L")
    edges = grey.filter(
        ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
    )
    return float(np.asarray(edges, dtype=np.float32).var())
