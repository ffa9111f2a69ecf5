"""Scoring services: the worker's path from an upload or a feature mapping to a score."""

import io
import json
import math

import numpy as np
import pytest

from inference import services
from inference.errors import InvalidMedia, ModelUnavailable
from inference.registry import register_model_file
from inference.testing import write_tiny_model
from inference.tests.media import audio_bytes, face_bytes, image_bytes


def test_score_image_runs_the_face_pipeline_with_the_sidecar_combiner(tiny_models):
    bright = services.score_image(io.BytesIO(face_bytes("JPEG", brightness=1.25)))
    dark = services.score_image(io.BytesIO(face_bytes("PNG", brightness=0.4)))

    # Tiny fatigue model: logits = +-(sum of mean normalised RGB) of each landmark crop, so a
    # bright face means "fatigued"; the combiner is P(yawn) = face, P(closed) = eyes.
    assert bright.label == "fatigued" and dark.label == "alert"
    assert bright.score - dark.score > 0.4
    assert set(bright.probabilities) == {"alert", "fatigued"}
    assert math.isclose(sum(bright.probabilities.values()), 1.0, rel_tol=1e-6)
    assert bright.model_version == "tiny-1"


def test_score_audio_returns_a_probability_weighted_stress_score(tiny_models):
    result = services.score_audio(io.BytesIO(audio_bytes("FLAC")))

    assert 0.0 <= result.score <= 1.0
    assert result.score == pytest.approx(result.probabilities["stressed"])
    assert result.label in {"calm", "stressed"}


def test_a_model_with_other_labels_works_without_code_changes(tiny_models, tmp_path):
    path = write_tiny_model(tmp_path, "voice", version="eight-class")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["labels"] = ["neutral", "angry"]
    meta["score_weights"] = {"neutral": 0.3, "angry": 0.9}
    sidecar.write_text(json.dumps(meta))
    register_model_file(path, activate=True)

    result = services.score_audio(io.BytesIO(audio_bytes("WAV")))

    expected = 0.3 * result.probabilities["neutral"] + 0.9 * result.probabilities["angry"]
    assert result.score == pytest.approx(expected)
    assert result.model_version == "eight-class"


def test_score_burnout_follows_the_feature_encoding(tiny_models):
    result = services.score_burnout(
        {
            "tenure_days": 400,
            "designation": 2,
            "company_type": "service",
            "wfh_available": False,
            "resource_allocation": 5,
            "mental_fatigue": 6.0,
        }
    )

    # 0.05*2 + 0.02*5 + 0.09*6 = 0.74
    assert result.score == pytest.approx(0.74, abs=1e-6)
    assert result.label is None and result.probabilities == {}


def test_score_burnout_accepts_missing_values_and_clamps_ranges(tiny_models):
    sparse = services.score_burnout({"mental_fatigue": None, "resource_allocation": 40})
    high = services.score_burnout({"mental_fatigue": 10, "resource_allocation": 10})

    assert sparse.score == pytest.approx(0.2, abs=1e-6)  # allocation clamped to 10
    assert high.score == 1.0  # 0.9 + 0.2, clipped to [0, 1]


def test_score_burnout_refuses_unknown_keys_and_bad_numbers(tiny_models):
    with pytest.raises(InvalidMedia, match="Unknown burnout feature"):
        services.score_burnout({"gender": "female"})
    with pytest.raises(InvalidMedia, match="not a number"):
        services.score_burnout({"mental_fatigue": "very tired"})


def test_scoring_without_a_model_is_an_error_never_a_default(db):
    from inference import runtime

    runtime.reset()
    with pytest.raises(ModelUnavailable):
        services.score_image(io.BytesIO(image_bytes()))
    with pytest.raises(ModelUnavailable):
        services.score_audio(io.BytesIO(audio_bytes()))
    with pytest.raises(ModelUnavailable):
        services.score_burnout({"mental_fatigue": 3})


def test_bad_media_is_refused_before_the_model_runs(tiny_models):
    with pytest.raises(InvalidMedia):
        services.score_image(io.BytesIO(b"not an image"))
    with pytest.raises(InvalidMedia):
        services.score_audio(io.BytesIO(audio_bytes(samples=np.zeros(16000, np.float32))))


def test_upload_checks_accept_good_uploads_and_leave_them_rewound(db):
    image = io.BytesIO(face_bytes("WEBP"))
    audio = io.BytesIO(audio_bytes("OGG", "VORBIS"))

    services.validate_image_upload(image)
    assert image.tell() == 0
    services.check_image_upload(image)
    services.check_audio_upload(audio)

    assert image.tell() == 0 and audio.tell() == 0


def test_a_photo_without_a_face_is_refused_with_a_retake_message(tiny_models):
    with pytest.raises(InvalidMedia) as at_upload:
        services.validate_image_upload(io.BytesIO(image_bytes("PNG")))
    with pytest.raises(InvalidMedia) as at_scoring:
        services.score_image(io.BytesIO(image_bytes("JPEG", color=(250, 250, 250))))

    for error in (at_upload.value, at_scoring.value):
        assert error.status_code == 400
        assert error.reason == "no_face"
        assert "take it again" in error.message


def test_a_fatigue_model_from_before_the_face_pipeline_is_unavailable(tiny_models, tmp_path):
    path = write_tiny_model(tmp_path, "fatigue", version="old-1")
    meta = json.loads(path.with_suffix(".json").read_text())
    del meta["pipeline"], meta["combiner"]
    path.with_suffix(".json").write_text(json.dumps(meta))
    register_model_file(path, activate=True)

    with pytest.raises(ModelUnavailable, match="predates the face-landmark pipeline"):
        services.score_image(io.BytesIO(face_bytes()))


def test_upload_checks_refuse_bad_uploads(db):
    with pytest.raises(InvalidMedia) as image_error:
        services.validate_image_upload(io.BytesIO(b"<html>hi</html>"))
    with pytest.raises(InvalidMedia) as audio_type_error:
        services.check_audio_upload(io.BytesIO(b"<html>hi</html>"))
    with pytest.raises(InvalidMedia) as audio_error:
        services.check_audio_upload(io.BytesIO(b"fLaC" + b"\x00" * 200))  # a corrupt FLAC

    assert image_error.value.status_code == 415
    assert audio_type_error.value.status_code == 415
    assert audio_error.value.status_code == 400
