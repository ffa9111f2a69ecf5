"""Faces in a check-in photo: detection, landmarks, eye and mouth measures, and a quality gate.

The models are MediaPipe's short-range face detector (BlazeFace) and its 468-point face mesh,
converted from the TFLite files in the ``mediapipe`` wheel to ONNX by ``manage.py
convert_face_models`` (``models/face/``, Apache-2.0), so they run on ONNX Runtime like every
other model. Nothing here imports torch or MediaPipe.

``analyse_face`` is the whole path: it refuses a photo without exactly one usable face
(``PhotoRejected``, with a message that says how to retake it) and otherwise returns the
landmarks and the measures the fatigue model uses (eye aspect ratios, mouth aspect ratio,
head pose) and the crops of the eyes and the mouth.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageFilter, ImageOps

from inference.errors import InvalidMedia, ModelUnavailable
from inference.registry import sha256_of

DETECTOR = "face_detection_short_range"
LANDMARKS = "face_landmark"
DETECTOR_SIZE = 128
LANDMARK_SIZE = 192

MIN_DETECTION_SCORE = 0.5
NMS_IOU = 0.3
MIN_PRESENCE = 0.5
# A second, confident face at least this large (area, relative to the largest) makes the photo
# ambiguous; weaker second detections are usually a part of the same face.
SECOND_FACE_AREA = 0.3
SECOND_FACE_SCORE = 0.75
MIN_FACE_PIXELS = 64
MIN_FACE_FRACTION = 0.12  # of the photo's shorter side
TOO_DARK = 45.0  # mean luma (0-255) of the face
TOO_BRIGHT = 215.0
MAX_CLIPPED_SHARE = 0.25  # share of face pixels at 250 or more
# Variance of the Laplacian of the 192 px face crop. Faces of the yawn data set (320x240 webcam
# frames) score 184 to 600 (median 377); the portrait fixture 340 sharp, 131 after a 2 px blur.
MIN_SHARPNESS = 150.0

# FaceMesh indices: p1..p6 of each eye for the eye aspect ratio, and the mouth.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)
LEFT_EYE = (362, 385, 387, 263, 373, 380)
MOUTH_INNER = (13, 14)
MOUTH_CORNERS = (78, 308)
NOSE_TIP = 1
CHIN = 152


class PhotoRejected(InvalidMedia):
    """The photo cannot be scored; ``reason`` is a short code, the message says how to retake."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Detection:
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in photo pixels
    keypoints: np.ndarray  # (6, 2) in photo pixels: right eye, left eye, nose, mouth, ears

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


@dataclass(frozen=True)
class FaceAnalysis:
    """One face, measured. ``crop`` is the eye-aligned square around it (192 px), the region
    the fatigue model sees for yawning."""

    detection: Detection
    presence: float
    landmarks: np.ndarray  # (468, 3) in photo pixels (z relative)
    eye_aspect_ratio: tuple[float, float]  # right, left
    mouth_aspect_ratio: float
    head_pose: tuple[float, float, float]  # yaw, pitch, roll in degrees (rough)
    brightness: float
    sharpness: float
    crop: Image.Image
    angle: float  # radians of the eye line in the photo

    def features(self) -> dict[str, float]:
        yaw, pitch, roll = self.head_pose
        right, left = self.eye_aspect_ratio
        return {
            "ear_right": right,
            "ear_left": left,
            "ear_mean": (right + left) / 2,
            "mar": self.mouth_aspect_ratio,
            "yaw": yaw,
            "pitch": pitch,
            "roll": roll,
        }


# --- Models ----------------------------------------------------------------------------------

_lock = threading.Lock()
_sessions: dict[str, object] = {}


def face_models_dir() -> Path:
    """Shipped with the code (not registered model versions): ``FACE_MODELS_DIR``."""
    return Path(settings.FACE_MODELS_DIR)


@lru_cache(maxsize=1)
def _manifest() -> dict:
    path = face_models_dir() / "manifest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"The face models are missing ({path}): {exc}") from exc


def _session(name: str):
    with _lock:
        if name not in _sessions:
            import onnxruntime as ort

            entry = _manifest()["models"].get(name)
            if entry is None:
                raise ModelUnavailable(f"The face model {name} is not in the manifest.")
            path = face_models_dir() / entry["file"]
            if not path.is_file() or sha256_of(path) != entry["sha256"]:
                raise ModelUnavailable(f"The face model {path} is missing or altered.")
            options = ort.SessionOptions()
            options.intra_op_num_threads = settings.ORT_INTRA_OP_THREADS
            options.inter_op_num_threads = 1
            _sessions[name] = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        return _sessions[name]


def reset() -> None:
    """Forget the loaded sessions (tests, or after the files changed)."""
    with _lock:
        _sessions.clear()
    _manifest.cache_clear()


def check_face_models() -> list[str]:
    """Problems with the face models, for ``manage.py check`` (empty when fine)."""
    error = status()["error"]
    return [error] if error else []


def load() -> str:
    """Build both sessions now (worker start-up); raises ``ModelUnavailable``."""
    _session(DETECTOR)
    _session(LANDMARKS)
    return f"{DETECTOR}, {LANDMARKS}"


def status() -> dict:
    """Health of the bundled face models, in the shape of the other /healthz model entries,
    without building a session."""
    loaded = DETECTOR in _sessions and LANDMARKS in _sessions
    try:
        entries = _manifest()["models"]
        for name in (DETECTOR, LANDMARKS):
            path = face_models_dir() / entries[name]["file"]
            if not path.is_file():
                raise ModelUnavailable(f"The face model {path} is missing.")
            if sha256_of(path) != entries[name]["sha256"]:
                return {
                    "ok": False,
                    "version": name,
                    "sha256_ok": False,
                    "loaded": loaded,
                    "error": f"The face model {path} is altered (sha256 mismatch).",
                }
    except (ModelUnavailable, KeyError) as exc:
        message = exc.message if isinstance(exc, ModelUnavailable) else f"no entry {exc}"
        return {"ok": False, "version": None, "sha256_ok": None, "loaded": loaded, "error": message}
    return {
        "ok": True,
        "version": f"{DETECTOR}+{LANDMARKS}",
        "sha256_ok": True,
        "loaded": loaded,
        "error": None,
    }


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
    session = _session(DETECTOR)
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
        detections.append(
            Detection(
                score=float(kept_scores[cluster[0]]),
                box=tuple(float(v) for v in box_xy.reshape(-1)),
                keypoints=keypoints * to_photo[0] - to_photo[1],
            )
        )
        remaining = remaining[overlaps <= NMS_IOU]
    return detections


# --- Landmarks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Crop:
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


def _face_crop(detection: Detection) -> _Crop:
    """The square, eye-aligned region around a detection, 1.5 times its size (as MediaPipe)."""
    right_eye, left_eye = detection.keypoints[0], detection.keypoints[1]
    angle = math.atan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
    x0, y0, x1, y1 = detection.box
    side = max(x1 - x0, y1 - y0) * 1.5
    return _Crop(centre=((x0 + x1) / 2, (y0 + y1) / 2), side=side, angle=angle)


def _crop(image: Image.Image, crop: _Crop, size: int) -> Image.Image:
    return image.transform(
        (size, size),
        Image.Transform.AFFINE,
        crop.coefficients(size),
        resample=Image.Resampling.BILINEAR,
    )


def face_landmarks(
    image: Image.Image, detection: Detection
) -> tuple[np.ndarray, float, Image.Image]:
    """468 landmarks (photo pixels, z in crop pixels), the face-presence probability and the
    eye-aligned face crop the landmark model saw."""
    crop = _face_crop(detection)
    patch = _crop(image, crop, LANDMARK_SIZE)
    array = np.asarray(patch, dtype=np.float32)[np.newaxis] / 255.0
    session = _session(LANDMARKS)
    outputs = session.run(None, {session.get_inputs()[0].name: array})
    mesh = outputs[0].reshape(-1, 3)
    presence = float(1 / (1 + np.exp(-np.clip(outputs[1].reshape(-1)[0], -100, 100))))
    photo_xy = crop.to_photo(mesh[:, :2], LANDMARK_SIZE)
    landmarks = np.concatenate([photo_xy, mesh[:, 2:] * crop.side / LANDMARK_SIZE], axis=1)
    return landmarks, presence, patch


# --- Measures ---------------------------------------------------------------------------------


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


def _luma(patch: Image.Image) -> np.ndarray:
    return np.asarray(patch.convert("L"), dtype=np.float32)


def sharpness(patch: Image.Image) -> float:
    """Variance of the Laplacian of the grey crop (low = blurred or out of focus)."""
    grey = patch.convert("L")
    edges = grey.filter(
        ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
    )
    return float(np.asarray(edges, dtype=np.float32).var())


# --- The gate ---------------------------------------------------------------------------------


def analyse_face(image: Image.Image) -> FaceAnalysis:
    """Exactly one usable face in ``image``, measured; ``PhotoRejected`` otherwise.

    Refusals (in this order): no face; several faces; a face too small; too dark or blown
    out; too blurred. Raises ``ModelUnavailable`` when the face models are missing.
    """
    image = ImageOps.exif_transpose(image).convert("RGB")
    faces = detect_faces(image)
    if not faces:
        raise PhotoRejected(
            "no_face",
            "No face found in the photo. Face the camera in good light, with your whole face in "
            "the frame, and take it again.",
        )
    best = faces[0]
    if any(
        other.score >= SECOND_FACE_SCORE and other.area >= SECOND_FACE_AREA * best.area
        for other in faces[1:]
    ):
        raise PhotoRejected(
            "several_faces",
            "More than one face is in the photo. Take it again with only you in the frame.",
        )
    face_width = best.box[2] - best.box[0]
    if face_width < MIN_FACE_PIXELS or face_width < MIN_FACE_FRACTION * min(image.size):
        raise PhotoRejected(
            "face_too_small",
            "Your face is too small in the photo. Move closer to the camera and take it again.",
        )
    landmarks, presence, patch = face_landmarks(image, best)
    if presence < MIN_PRESENCE:
        raise PhotoRejected(
            "no_face",
            "No clear face found in the photo. Face the camera, with nothing covering your face, "
            "and take it again.",
        )
    luma = _luma(patch)
    centre = luma[48:144, 48:144]  # the middle of the crop: the face itself, not its margin
    brightness = float(centre.mean())
    if brightness < TOO_DARK:
        raise PhotoRejected(
            "too_dark",
            "The photo is too dark to see your face. Turn on a light or face a window and take it "
            "again.",
        )
    if brightness > TOO_BRIGHT or float((centre >= 250).mean()) > MAX_CLIPPED_SHARE:
        raise PhotoRejected(
            "too_bright",
            "The photo is too bright: your face is washed out. Move away from direct light and "
            "take it again.",
        )
    sharp = sharpness(patch)
    if sharp < MIN_SHARPNESS:
        raise PhotoRejected(
            "blurry",
            "The photo is blurred. Hold still (or clean the lens) and take it again.",
        )
    return FaceAnalysis(
        detection=best,
        presence=presence,
        landmarks=landmarks,
        eye_aspect_ratio=(
            eye_aspect_ratio(landmarks, RIGHT_EYE),
            eye_aspect_ratio(landmarks, LEFT_EYE),
        ),
        mouth_aspect_ratio=mouth_aspect_ratio(landmarks),
        head_pose=head_pose(landmarks),
        brightness=brightness,
        sharpness=sharp,
        crop=patch,
        angle=_face_crop(best).angle,
    )


# Eye crops are cut like the eye images the eye-state model learnt from: the eye's corners
# spanning about two thirds of a square, centred a little above the eye (the brow at the top).
EYE_CROP_SCALE = 1.5
EYE_CROP_LIFT = 0.08
EYE_CROP_SIZE = 128


def eye_crops(image: Image.Image, analysis: FaceAnalysis) -> list[Image.Image]:
    """The right and the left eye of ``analysis``, each an eye-aligned square crop."""
    image = ImageOps.exif_transpose(image).convert("RGB")
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
        region = _Crop(centre=(float(centre[0]), float(centre[1])), side=side, angle=analysis.angle)
        crops.append(_crop(image, region, EYE_CROP_SIZE))
    return crops
