"""The face path on real pixels: MediaPipe's detector and face mesh (as ONNX) and the gate.

The fixture is NASA's public-domain portrait of astronaut Eileen Collins (as shipped in
scikit-image's sample data), cropped to the head and shoulders.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image, ImageFilter

from inference import face, face_detection, photo_gate
from inference.registry import sha256_of
from inference.tests.media import eyes_shut

FIXTURE = Path(__file__).parent / "fixtures" / "astronaut.jpg"


@pytest.fixture
def portrait() -> Image.Image:
    return Image.open(FIXTURE).convert("RGB")


def rejection(image: Image.Image) -> str:
    with pytest.raises(face.PhotoRejected) as caught:
        face.analyse_face(image)
    assert "again" in caught.value.message  # every refusal says how to retake
    return caught.value.reason


def test_the_shipped_models_match_their_manifest():
    folder = Path(settings.FACE_MODELS_DIR)
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["models"].values():
        assert sha256_of(folder / entry["file"]) == entry["sha256"]
        assert entry["max_relative_difference"] < 1e-3  # checked against TFLite when converted
    assert "Apache License" in (folder / "LICENSE").read_text()


def test_it_finds_one_face_and_measures_open_eyes_and_a_closed_mouth(portrait):
    analysis = face.analyse_face(portrait)

    x0, y0, x1, y1 = analysis.detection.box
    assert analysis.detection.score > 0.8
    assert 60 < x0 < 120 and 50 < y0 < 110 and 170 < x1 < 230 and 160 < y1 < 220
    assert analysis.landmarks.shape == (468, 3)
    # Landmarks land on the face: eyes above the mouth, inside the detected box.
    eyes_y = analysis.landmarks[list(face.RIGHT_EYE + face.LEFT_EYE), 1].mean()
    mouth_y = analysis.landmarks[list(face.MOUTH_INNER), 1].mean()
    assert y0 < eyes_y < mouth_y < y1
    assert all(0.22 < ear < 0.45 for ear in analysis.eye_aspect_ratio)
    assert analysis.mouth_aspect_ratio < 0.3
    yaw, _pitch, roll = analysis.head_pose
    assert abs(yaw) < 15 and abs(roll) < 10


def test_it_follows_a_tilted_head(portrait):
    upright = face.analyse_face(portrait)
    tilted = face.analyse_face(portrait.rotate(20, resample=Image.Resampling.BILINEAR))

    assert tilted.head_pose[2] == pytest.approx(upright.head_pose[2] - 20, abs=5)
    assert np.mean(tilted.eye_aspect_ratio) == pytest.approx(
        np.mean(upright.eye_aspect_ratio), abs=0.06
    )


def test_closing_the_eyes_lowers_the_eye_aspect_ratio(portrait):
    """Paint skin over both eyes: the mesh then sees lids, not irises."""
    open_eyes = face.analyse_face(portrait)
    closed_eyes = face.analyse_face(eyes_shut(portrait))

    assert np.mean(closed_eyes.eye_aspect_ratio) < np.mean(open_eyes.eye_aspect_ratio) - 0.05


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: Image.new("RGB", (320, 240)), "no_face"),
        (lambda p: Image.new("RGB", (1, 1), (200, 150, 120)), "no_face"),
        (
            lambda p: Image.fromarray(
                np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
            ),
            "no_face",
        ),
        (lambda p: Image.linear_gradient("L").convert("RGB"), "no_face"),
        (lambda p: p.point(lambda v: int(v * 0.12)), "too_dark"),
        (lambda p: p.resize((160, 160)).crop((-80, -80, 240, 240)), "face_too_small"),
        (lambda p: p.filter(ImageFilter.GaussianBlur(2)), "blurry"),
    ],
    ids=["black", "one-pixel", "noise", "gradient", "dark", "tiny-face", "blurred"],
)
def test_it_refuses_photos_it_cannot_score(portrait, make, reason):
    assert rejection(make(portrait)) == reason


def test_it_refuses_two_faces(portrait):
    pair = Image.new("RGB", (640, 320))
    pair.paste(portrait, (0, 0))
    pair.paste(portrait, (320, 0))
    assert rejection(pair) == "several_faces"


def single_eye_close_up(photo: Image.Image) -> Image.Image:
    """One eye of ``photo``, cut 2.5 times its width and enlarged: no face, but a shape the
    detector takes for one with low confidence (as 28 of the eye data set's 1,160 close-ups)."""
    landmarks = face.analyse_face(photo).landmarks
    a, b = landmarks[362, :2], landmarks[263, :2]
    centre, half = (a + b) / 2, 1.25 * float(np.linalg.norm(b - a))
    box = tuple(int(v) for v in (*(centre - half), *(centre + half)))
    return photo.crop(box).resize((320, 320), Image.Resampling.BICUBIC)


def test_it_refuses_a_close_up_of_one_eye(portrait, monkeypatch):
    close_up = single_eye_close_up(portrait)
    detections = face.detect_faces(close_up)
    assert detections and 0.5 <= detections[0].score < photo_gate.MIN_FACE_SCORE
    with pytest.raises(face.PhotoRejected) as refused:
        face.analyse_face(close_up)
    assert refused.value.reason == "no_face" and "No clear face" in str(refused.value)
    # Only the detector's confidence refuses it: the later checks would have let it through.
    monkeypatch.setattr(photo_gate, "MIN_FACE_SCORE", 0.5)
    face.analyse_face(close_up)


def test_a_missing_model_file_is_reported_not_faked(settings, tmp_path):
    settings.FACE_MODELS_DIR = tmp_path
    face.reset()
    try:
        problems = face.check_face_models()
        assert problems and "missing" in problems[0]
    finally:
        face.reset()


@pytest.mark.parametrize(
    ("width", "height"), [(960, 720), (1920, 1080), (721, 720), (720, 960), (300, 200), (64, 64)]
)
def test_the_detector_letterbox_is_the_padded_square_resized_bit_for_bit(width, height):
    """The browser port pads the photo to a square and resizes it; the server skips the
    padding's share of the work for landscape photos and must give the very same pixels."""
    rng = np.random.default_rng(width * height)
    photo = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    side = max(width, height)
    square = Image.new("RGB", (side, side))
    square.paste(photo, ((side - width) // 2, (side - height) // 2))
    reference = square.resize((128, 128), Image.Resampling.BILINEAR)

    array, *_ = face_detection._letterbox(photo, 128)

    expected = np.asarray(reference, dtype=np.float32)[np.newaxis] / 127.5 - 1.0
    assert np.array_equal(array, expected)
