"""The two eyes of a measured face, cut as the eye-state model expects them."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from inference.face_detection import AlignedSquare
from inference.face_measures import LEFT_EYE, RIGHT_EYE
from inference.image_preprocessing import upright_rgb
from inference.photo_gate import FaceAnalysis

# Eye crops are cut like the eye images the eye-state model learnt from: the eye's corners
# spanning about two thirds of a square, centred a little above the eye (the brow at the top).
EYE_CROP_SCALE = 1.5
EYE_CROP_LIFT = 0.08
EYE_CROP_SIZE = 128


def eye_crops(image: Image.Image, analysis: FaceAnalysis) -> list[Image.Image]:
    """The right and the left eye of ``analysis``, each an eye-aligned square crop."""
    image = upright_rgb(image)
    crops = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        points = analysis.landmarks[list(eye), :2]
        corner_a, corner_b = points[0], points[3]
        width = float(np.linalg.norm(corner_b - corner_a))
        centre = points.mean(0)
        side = max(8.0, width * EYE_CROP_SCALE)
        # "Up" in the face's own frame is perpendicular to the eye line.
        up = np.array([math.sin(analysis.angle), -math.cos(analysis.angle)])
        centre = centre + up * EYE_CROP_LIFT * side
        region = AlignedSquare(
            centre=(float(centre[0]), float(centre[1])), side=side, angle=analysis.angle
        )
        crops.append(region.cut(image, EYE_CROP_SIZE))
    return crops
