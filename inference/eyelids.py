"""How open each eye is, from MediaPipe's eye model (its "iris" landmark model).

The face mesh places the eyelids from the shape of the whole face, so on a real closed eye
its eye aspect ratio stays well above zero (about 0.1-0.17, and 0.24-0.29 on built closed
eyes). The eye model looks at one eye: a 64 x 64 square around the eye's corners, 2.3 times
their distance, turned with the eye (as MediaPipe cuts it) and mirrored for the face's left
eye, gives 71 points of the eyelids and brow; the first 16 trace the lids. Their aspect
ratio follows the lids themselves.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageOps

from inference import face_models
from inference.face_detection import AlignedSquare

EYE_MODEL_SIZE = 64
EYE_MODEL_SCALE = 2.3
# Corners of each eye in the face mesh, and whether the eye model needs it mirrored.
EYE_CORNERS = (((33, 133), False), ((362, 263), True))
# The eye model's lid contour: 0 and 8 are the corners, 1-7 the lower lid, 9-15 the upper.
LID_CORNERS = (0, 8)
LID_PAIRS = ((11, 3), (12, 4), (13, 5))


def eye_square(landmarks: np.ndarray, corners: tuple[int, int]) -> AlignedSquare:
    """The square the eye model sees: centred between the corners, turned with them."""
    a, b = landmarks[corners[0], :2], landmarks[corners[1], :2]
    centre = (a + b) / 2
    width = float(np.linalg.norm(b - a))
    angle = math.atan2(float(b[1] - a[1]), float(b[0] - a[0]))
    return AlignedSquare(
        centre=(float(centre[0]), float(centre[1])),
        side=max(8.0, width * EYE_MODEL_SCALE),
        angle=angle,
    )


def eye_model_input(image: Image.Image, landmarks: np.ndarray) -> np.ndarray:
    """Both eyes as one (2, 64, 64, 3) batch of RGB values in [0, 1]."""
    crops = []
    for corners, mirrored in EYE_CORNERS:
        crop = eye_square(landmarks, corners).cut(image, EYE_MODEL_SIZE)
        if mirrored:
            crop = ImageOps.mirror(crop)
        crops.append(np.asarray(crop, dtype=np.float32) / 255.0)
    return np.stack(crops)


def lid_aspect_ratio(contour: np.ndarray) -> float:
    """Mean lid gap over the corners' distance: about 0.3-0.4 open, below about 0.15 closed."""
    width = float(np.linalg.norm(contour[LID_CORNERS[1], :2] - contour[LID_CORNERS[0], :2]))
    if width <= 0:
        return 0.0
    gaps = [float(np.linalg.norm(contour[i, :2] - contour[j, :2])) for i, j in LID_PAIRS]
    return float(np.mean(gaps)) / width


def lid_aspect_ratios(image: Image.Image, landmarks: np.ndarray) -> tuple[float, float]:
    """The lid aspect ratio of the right and the left eye of a face measured by the mesh."""
    session = face_models.face_session(face_models.EYES)
    batch = eye_model_input(image.convert("RGB"), landmarks)
    ratios = []
    for crop in batch:  # the converted graph takes one eye at a time
        contours = session.run(None, {session.get_inputs()[0].name: crop[None]})[0]
        ratios.append(lid_aspect_ratio(np.asarray(contours).reshape(-1, 3)))
    return ratios[0], ratios[1]
