"""Where the face is: BlazeFace detections and the 468-point face mesh, in photo pixels.

The detector sees the photo letterboxed to 128 px; the landmark model sees a 192 px square
around one detection, turned so the eye line is level (``AlignedSquare``). Both models come from
``inference.face_models``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from inference.face_models import DETECTOR, LANDMARKS, face_session

DETECTOR_SIZE = 128
LANDMARK_SIZE = 192

MIN_DETECTION_SCORE = 0.5
NMS_IOU = 0.3


@dataclass(frozen=True)
class Detection:
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in photo pixels
    keypoints: np.ndarray  # (6, 2) in photo pixels: right eye, left eye, nose, mouth, ears

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


# --- Detection --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _anchors() -> np.ndarray:
    """BlazeFace short-range anchors: 2 per cell on the 16x16 grid, 6 per cell on 8x8."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                centres.extend([((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell)
    return np.asarray(centres, dtype=np.float32)


def _letterbox(image: Image.Image, size: int) -> tuple[np.ndarray, float, float, float]:
    """The photo padded to a square and resized; returns (array, scale, pad_x, pad_y)."""
    width, height = image.size
    side = max(width, height)
    pad_x, pad_y = (side - width) / 2, (side - height) / 2
    if width == side:
        # Pillow resizes horizontally, then vertically, rounding to 8 bits in between: the
        # horizontal pass of the padded square is the photo's own rows plus rows of zeros, so
        # a landscape photo skips the padding's share of it (same pixels, bit for bit, as the
        # square resized at once, which the browser port does).
        rows = image.resize((size, height), Image.Resampling.BILINEAR)
        tall = Image.new("RGB", (size, side))
        tall.paste(rows, (0, int(pad_y)))
        resized = tall.resize((size, size), Image.Resampling.BILINEAR)
    else:
        square = Image.new("RGB", (side, side))
        square.paste(image, (int(pad_x), int(pad_y)))
        resized = square.resize((size, size), Image.Resampling.BILINEAR)
    array = np.asarray(resized, dtype=np.float32)[np.newaxis] / 127.5 - 1.0
    return array, side, int(pad_x), int(pad_y)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def detect_faces(image: Image.Image) -> list[Detection]:
    """Faces in ``image`` (RGB), best first, after weighted non-maximum suppression."""
    array, side, pad_x, pad_y = _letterbox(image, DETECTOR_SIZE)
    session = face_session(DETECTOR)
    regressors, scores = session.run(None, {session.get_inputs()[0].name: array})
    raw = regressors[0] / DETECTOR_SIZE
    logits = np.clip(scores[0, :, 0].astype(np.float64), -100, 100)
    probability = 1 / (1 + np.exp(-logits))
    anchors = _anchors()
    keep = np.flatnonzero(probability >= MIN_DETECTION_SCORE)
    if keep.size == 0:
        return []
    centre = raw[keep, :2] + anchors[keep]
    half = raw[keep, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    points = raw[keep, 4:16].reshape(-1, 6, 2) + anchors[keep, np.newaxis]
    order = np.argsort(-probability[keep])
    boxes, points, kept_scores = boxes[order], points[order], probability[keep][order]

    detections: list[Detection] = []
    remaining = np.arange(len(boxes))
    while remaining.size:
        overlaps = _iou(boxes[remaining[0]], boxes[remaining])
        cluster = remaining[overlaps > NMS_IOU]
        weights = kept_scores[cluster][:, np.newaxis]
        box = (boxes[cluster] * weights).sum(0) / weights.sum()
        keypoints = (points[cluster] * weights[:, :, np.newaxis]).sum(0) / weights.sum()
        to_photo = np.array([side, side]), np.array([pad_x, pad_y])
        box_xy = box.reshape(2, 2) * to_photo[0] - to_photo[1]
        x0, y0, x1, y1 = (float(v) for v in box_xy.reshape(-1))
        detections.append(
            Detection(
                score=float(kept_scores[cluster[0]]),
                box=(x0, y0, x1, y1),
                keypoints=keypoints * to_photo[0] - to_photo[1],
            )
        )
        remaining = remaining[overlaps <= NMS_IOU]
    return detections


# --- Landmarks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlignedSquare:
    """A square region of the photo whose x axis follows the eye line."""

    centre: tuple[float, float]
    side: float
    angle: float  # radians: the crop's x axis follows the eye line

    def coefficients(self, size: int) -> tuple[float, ...]:
        """PIL AFFINE data mapping crop pixels (u, v) to photo pixels (x, y)."""
        cos, sin, k = math.cos(self.angle), math.sin(self.angle), self.side / size
        cx, cy, half = self.centre[0], self.centre[1], self.side / 2
        return (
            cos * k,
            -sin * k,
            cx - cos * half + sin * half,
            sin * k,
            cos * k,
            cy - sin * half - cos * half,
        )

    def to_photo(self, points: np.ndarray, size: int) -> np.ndarray:
        a, b, c, d, e, f = self.coefficients(size)
        u, v = points[:, 0], points[:, 1]
        return np.stack([a * u + b * v + c, d * u + e * v + f], axis=1)

    def cut(self, image: Image.Image, size: int) -> Image.Image:
        """This region of ``image``, resampled to ``size`` x ``size`` pixels."""
        return image.transform(
            (size, size),
            Image.Transform.AFFINE,
            self.coefficients(size),
            resample=Image.Resampling.BILINEAR,
        )


def face_square(detection: Detection) -> AlignedSquare:
    """The square, eye-aligned region around a detection, 1.5 times its size (as MediaPipe)."""
    right_eye, left_eye = detection.keypoints[0], detection.keypoints[1]
    angle = math.atan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
    x0, y0, x1, y1 = detection.box
    side = max(x1 - x0, y1 - y0) * 1.5
    return AlignedSquare(centre=((x0 + x1) / 2, (y0 + y1) / 2), side=side, angle=angle)


def face_landmarks(
    image: Image.Image, detection: Detection
) -> tuple[np.ndarray, float, Image.Image]:
    """468 landmarks (photo pixels, z in crop pixels), the face-presence probability and the
    eye-aligned face crop the landmark model saw."""
    square = face_square(detection)
    patch = square.cut(image, LANDMARK_SIZE)
    array = np.asarray(patch, dtype=np.float32)[np.newaxis] / 255.0
    session = face_session(LANDMARKS)
    outputs = session.run(None, {session.get_inputs()[0].name: array})
    mesh = outputs[0].reshape(-1, 3)
    presence = float(1 / (1 + np.exp(-np.clip(outputs[1].reshape(-1)[0], -100, 100))))
    photo_xy = square.to_photo(mesh[:, :2], LANDMARK_SIZE)
    landmarks = np.concatenate([photo_xy, mesh[:, 2:] * square.side / LANDMARK_SIZE], axis=1)
    return landmarks, presence, patch
