"""The eye model's lids (inference.eyelids): real measurements on real and built faces."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from inference import eyelids, face
from inference import fatigue as pipeline

from .media import eyes_shut, portrait


def test_lid_aspect_ratio_of_a_drawn_contour():
    contour = np.zeros((71, 3), dtype=np.float32)
    contour[0, :2], contour[8, :2] = (10, 32), (50, 32)  # corners 40 px apart
    for upper, lower in eyelids.LID_PAIRS:
        contour[upper, :2], contour[lower, :2] = (30, 26), (30, 38)  # 12 px gap
    assert eyelids.lid_aspect_ratio(contour) == pytest.approx(12 / 40)
    contour[[0, 8], :2] = 0
    assert eyelids.lid_aspect_ratio(contour) == 0.0


def test_the_eye_square_follows_the_corners():
    landmarks = np.zeros((468, 3), dtype=np.float32)
    landmarks[33, :2], landmarks[133, :2] = (100, 100), (140, 130)  # 50 px, turned 36.9 degrees
    square = eyelids.eye_square(landmarks, (33, 133))
    assert square.centre == pytest.approx((120, 115))
    assert square.side == pytest.approx(50 * eyelids.EYE_MODEL_SCALE)
    assert square.angle == pytest.approx(np.arctan2(30, 40))


def test_open_eyes_measure_wide_and_shut_ones_narrow():
    photo = portrait()
    open_ratios = eyelids.lid_aspect_ratios(photo, face.analyse_face(photo).landmarks)
    shut = eyes_shut(photo)
    shut_ratios = eyelids.lid_aspect_ratios(shut, face.analyse_face(shut).landmarks)
    assert min(open_ratios) > 0.25
    assert max(shut_ratios) < min(open_ratios) - 0.1


def test_a_mirrored_face_measures_the_same():
    photo = portrait()
    flipped = ImageOps.mirror(photo)
    right, left = eyelids.lid_aspect_ratios(photo, face.analyse_face(photo).landmarks)
    f_right, f_left = eyelids.lid_aspect_ratios(flipped, face.analyse_face(flipped).landmarks)
    assert f_right == pytest.approx(left, abs=0.03) and f_left == pytest.approx(right, abs=0.03)


def test_the_pipeline_measures_lids_only_for_a_combiner_that_reads_them():
    photo = portrait()
    scores = np.array([0.1, 0.2, 0.2])
    yawn = {"coef": [0.0, 0.0], "intercept": -20.0}
    metadata = {
        "pipeline": pipeline.PIPELINE,
        "combiner": {"yawn": yawn, "eyes": {"coef": [1.0], "intercept": 0.0}},
    }
    result = pipeline.estimate(photo, metadata=metadata, predict=lambda batch: scores)
    assert "lid_ear_mean" not in result.features
    metadata["combiner"]["eyes"] = {
        "features": ["logit_eyes", "lid_ear_mean"],
        "coef": [0.0, -20.0],
        "intercept": 4.0,
    }
    wide = pipeline.estimate(photo, metadata=metadata, predict=lambda batch: scores)
    shut = pipeline.estimate(eyes_shut(photo), metadata=metadata, predict=lambda batch: scores)
    assert wide.features["lid_ear_mean"] > shut.features["lid_ear_mean"]
    assert wide.eyes_closed < 0.5 <= shut.eyes_closed


def test_a_blank_eye_region_gives_a_number_not_an_error():
    landmarks = np.zeros((468, 3), dtype=np.float32)
    landmarks[[33, 362], :2] = (40, 60)
    landmarks[[133, 263], :2] = (80, 60)
    ratios = eyelids.lid_aspect_ratios(Image.new("RGB", (160, 120)), landmarks)
    assert all(np.isfinite(ratios))
