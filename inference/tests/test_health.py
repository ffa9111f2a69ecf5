"""/healthz and ``manage.py check`` report each model's state."""

import pytest
from django.core import checks

from inference import face, runtime, vad


def test_healthz_reports_every_model(client, tiny_models):
    runtime.get_model("burnout")

    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["models"]["ok"] is True
    assert body["models"]["burnout"] == {
        "ok": True,
        "version": "tiny-1",
        "sha256_ok": True,
        "loaded": True,
        "error": None,
    }
    assert body["models"]["voice"]["sha256_ok"] is True


def test_healthz_is_503_when_a_model_is_missing(client, db):
    runtime.reset()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["models"]["fatigue"]["error"] == "no active fatigue model"


def test_healthz_is_503_when_a_model_file_was_altered(client, tiny_models):
    path = runtime.resolve_model_path(tiny_models["voice"].file_path)
    original = path.read_bytes()
    path.write_bytes(original + b"tampered")
    try:
        response = client.get("/healthz")
    finally:
        path.write_bytes(original)

    assert response.status_code == 503
    assert response.json()["models"]["voice"]["sha256_ok"] is False


@pytest.mark.django_db
def test_system_check_warns_for_each_kind_without_a_usable_model():
    runtime.reset()

    messages = checks.run_checks(tags=[checks.Tags.models])

    ours = [m for m in messages if m.id == "inference.W001"]
    assert sorted(m.obj for m in ours) == [
        "inference.burnout",
        "inference.fatigue",
        "inference.voice",
    ]
    assert all(m.level == checks.WARNING for m in ours)


def test_system_check_is_quiet_when_every_model_is_usable(tiny_models):
    messages = checks.run_checks(tags=[checks.Tags.models])

    assert [m for m in messages if m.id == "inference.W001"] == []


def test_healthz_reports_the_speech_detector(client, tiny_models):
    vad.load()

    body = client.get("/healthz").json()

    assert body["models"]["vad"] == {
        "ok": True,
        "version": "silero-vad 6.2.3",
        "sha256_ok": True,
        "loaded": True,
        "error": None,
    }


def test_healthz_is_503_when_the_speech_detector_is_missing(
    client, tiny_models, settings, tmp_path
):
    settings.VAD_MODEL_PATH = tmp_path / "silero_vad.onnx"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["models"]["ok"] is False
    # Anyone may call /healthz: the file is named, its place on the server is not.
    assert response.json()["models"]["vad"]["error"] == "file missing: silero_vad.onnx"
    assert str(tmp_path) not in response.content.decode()


def test_healthz_gives_signed_in_admins_the_details(
    client, admin_user, tiny_models, settings, tmp_path
):
    settings.VAD_MODEL_PATH = tmp_path / "silero_vad.onnx"
    client.force_login(admin_user)

    response = client.get("/healthz")

    assert response.json()["models"]["vad"]["error"] == f"file missing: {settings.VAD_MODEL_PATH}"


def test_healthz_reports_the_face_models(client, tiny_models):
    face.load()

    entry = client.get("/healthz").json()["models"]["face"]

    assert entry == {
        "ok": True,
        "version": "face_detection_short_range+face_landmark+iris_landmark",
        "sha256_ok": True,
        "loaded": True,
        "error": None,
    }


def test_healthz_and_check_report_missing_face_models(client, tiny_models, settings, tmp_path):
    settings.FACE_MODELS_DIR = tmp_path
    face.reset()
    try:
        response = client.get("/healthz")
        warnings = [
            m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "inference.W003"
        ]
    finally:
        face.reset()

    assert response.status_code == 503
    assert "missing" in response.json()["models"]["face"]["error"]
    assert len(warnings) == 1
