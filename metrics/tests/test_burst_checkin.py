"""A check-in with a burst of frames instead of one photo (POST /api/v1/sync/ ``frames``)."""

import zipfile
from pathlib import Path

import pytest

from metrics.models import CheckIn
from metrics.tasks import score_checkin

from .media import audio_upload, image_upload, png_bytes

SYNC = "/api/v1/sync/"

pytestmark = pytest.mark.django_db


def _frames(n: int, **kwargs):
    return [image_upload(f"frame-{i}.png", png_bytes(**kwargs)) for i in range(n)]


def test_a_burst_is_stored_as_one_archive_scored_and_forgotten(
    tiny_models, employee, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(employee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            SYNC, {"frames": _frames(6), "audio": audio_upload()}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    checkin = CheckIn.objects.get()
    with zipfile.ZipFile(checkin.image.path) as archive:
        assert len(archive.namelist()) == 6
    stored = checkin.image.path
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()  # scoring in-process, as on the embedded default
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "done", status["failure_reason"]
    assert status["burst"]["frames"] == 6 and status["burst"]["frames_refused"] == 0
    assert set(status["burst"]) >= {"eye_closure_fraction", "blinks", "longest_closure_frames"}
    assert 0 <= status["fatigue"] <= 1
    checkin.refresh_from_db()
    assert checkin.image.name == ""
    assert not Path(stored).exists()


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"frames": _frames(2)}, 400, "A burst has 3 to 24 frames; got 2."),
        ({"frames": _frames(3), "image": image_upload()}, 400, "not both"),
        ({"frames": _frames(25, size=64)}, 413, "Send at most 24 frames."),
    ],
)
def test_a_bad_burst_is_refused_with_a_reason_and_nothing_is_stored(
    tiny_models, employee, api_client_for, data, status, message
):
    response = api_client_for(employee).post(SYNC, data, format="multipart")
    assert response.status_code == status, response.json()
    assert message in str(response.json())
    assert not CheckIn.objects.exists()


def test_a_burst_without_a_face_is_refused_when_scored_and_forgotten(
    tiny_models, employee, api_client_for, settings
):
    client = api_client_for(employee)
    response = client.post(SYNC, {"frames": _frames(3, face=False)}, format="multipart")
    assert response.status_code == 202, response.json()  # the face gate runs in the worker
    assert score_checkin.run(response.json()["id"]) == "failed"
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed" and "face" in status["failure_reason"]
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


def test_frames_share_one_files_size_budget(tiny_models, employee, api_client_for, settings):
    settings.MAX_UPLOAD_BYTES = 3 * len(png_bytes()) - 1
    response = api_client_for(employee).post(SYNC, {"frames": _frames(3)}, format="multipart")
    assert response.status_code == 413
    assert "The frames together must be at most" in response.json()["detail"]
    assert not CheckIn.objects.exists()
