"""Faces in a check-in photo: detection, landmarks, eye and mouth measures, and a quality gate.

The models are MediaPipe's short-range face detector (BlazeFace), its 468-point face mesh and
its eye model (``inference.eyelids``),
converted from the TFLite files in the ``mediapipe`` wheel to ONNX by ``manage.py
convert_face_models`` (``models/face/``, Apache-2.0), so they run on ONNX Runtime like every
other model. Nothing here imports torch or MediaPipe.

``analyse_face`` is the whole path: it refuses a photo without exactly one usable face
(``PhotoRejected``, with a message that says how to retake it) and otherwise returns the
landmarks and the measures the fatigue model uses (eye aspect ratios, mouth aspect ratio,
head pose) and the crops of the eyes and the mouth.

This module is the entry point; the work is done in

* ``inference.face_models``: the bundled model files, their sessions and health;
* ``inference.face_detection``: face boxes and the face mesh, in photo pixels;
* ``inference.face_measures``: eye and mouth aspect ratios, head pose, sharpness;
* ``inference.photo_gate``: the refusals and ``FaceAnalysis``;
* ``inference.eye_crops``: the eye crops of the eye-state model.
"""

from inference.eye_crops import eye_crops
from inference.face_detection import Detection, detect_faces, face_landmarks
from inference.face_measures import (
    CHIN,
    LEFT_EYE,
    MOUTH_CORNERS,
    MOUTH_INNER,
    NOSE_TIP,
    RIGHT_EYE,
    eye_aspect_ratio,
    head_pose,
    mouth_aspect_ratio,
    sharpness,
)
from inference.face_models import (
    DETECTOR,
    EYES,
    LANDMARKS,
    check_face_models,
    face_models_dir,
    load,
    reset,
    status,
)
from inference.photo_gate import FaceAnalysis, PhotoRejected, analyse_face

__all__ = [
    "CHIN",
    "DETECTOR",
    "EYES",
    "LANDMARKS",
    "LEFT_EYE",
    "MOUTH_CORNERS",
    "MOUTH_INNER",
    "NOSE_TIP",
    "RIGHT_EYE",
    "Detection",
    "FaceAnalysis",
    "PhotoRejected",
    "analyse_face",
    "check_face_models",
    "detect_faces",
    "eye_aspect_ratio",
    "eye_crops",
    "face_landmarks",
    "face_models_dir",
    "head_pose",
    "load",
    "mouth_aspect_ratio",
    "reset",
    "sharpness",
    "status",
]
