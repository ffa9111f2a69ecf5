"""The check-in API contract: 202 + status polling, own data only, errors with readable detail."""

from pathlib import Path

import pytest
from django.urls import reverse

from metrics.models import CheckIn, DailyMetric
from metrics.tasks import score_checkin

from .media import audio_upload, image_upload, png_bytes, wav_bytes

SYNC = "/api/v1/sync/"

pytestmark = pytest.mark.django_db


def _post(client, **data):
    return client.post(SYNC, data, format="multipart")


def test_it_accepts_a_checkin_with_202_and_enqueues_after_commit(
    tiny_models, employee, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(employee)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client, image=image_upload(), audio=audio_upload(), hours_worked="8.5")
    assert response.status_code == 202, response.json()
    body = response.json()
    checkin = CheckIn.objects.get()
    assert body == {
        "id": checkin.pk,
        "status": "pending",
        "status_url": f"/api/v1/sync/{checkin.pk}/",
    }
    assert response["Location"] == body["status_url"]
    assert checkin.user == employee
    assert checkin.hours_worked == 8.5
    assert checkin.local_date is not None
    # Stored under random names, not the client's file names.
    assert "face" not in checkin.image.name and "voice" not in checkin.audio.name
    assert len(callbacks) == 1


def test_it_scores_and_reports_through_the_status_url(tiny_models, employee, api_client_for):
    from metrics.tasks import score_checkin

    client = api_client_for(employee)
    response = _post(client, image=image_upload(), audio=audio_upload(), mental_fatigue="6")
    checkin_id = response.json()["id"]
    # The embedded default runs the task after commit; run it again to be sure it is done.
    score_checkin.run(checkin_id)
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "done"
    for key in ("fatigue", "stress", "burnout"):
        assert 0 <= status[key] <= 1
    assert 0 <= status["flow_score"] <= 100
    assert status["coach_message"]
    assert status["model_versions"] == {"fatigue": "tiny-1", "voice": "tiny-1", "burnout": "tiny-1"}
    assert status["day"]["checkin_count"] == 1
    assert status["day"]["flow_score"] == status["flow_score"]


def test_it_accepts_an_image_alone(tiny_models, employee, api_client_for):
    assert _post(api_client_for(employee), image=image_upload()).status_code == 202


def test_it_accepts_an_audio_clip_alone(tiny_models, employee, api_client_for):
    assert _post(api_client_for(employee), audio=audio_upload()).status_code == 202


def test_it_accepts_session_auth_with_csrf(tiny_models, employee, client):
    client.force_login(employee)
    response = client.post(SYNC, {"image": image_upload()})
    assert response.status_code == 202


def test_it_refuses_session_auth_without_csrf_token(tiny_models, employee):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(employee)
    response = client.post(SYNC, {"image": image_upload()})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_requires_at_least_one_file(tiny_models, employee, api_client_for):
    response = _post(api_client_for(employee), hours_worked="8")
    assert response.status_code == 400
    assert "face image" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_refuses_out_of_range_self_reports(tiny_models, employee, api_client_for):
    response = _post(api_client_for(employee), image=image_upload(), mental_fatigue="11")
    assert response.status_code == 400
    assert "mental_fatigue" in response.json()["errors"]
    assert not CheckIn.objects.exists()


def test_it_refuses_a_file_over_the_limit_with_413(tiny_models, employee, api_client_for, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    big = image_upload(content=png_bytes(size=400))
    assert big.size > 10_000
    response = _post(api_client_for(employee), image=big)
    assert response.status_code == 413
    assert "at most" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_refuses_a_huge_body_before_reading_it(tiny_models, employee, api_client_for, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = _post(
        api_client_for(employee), image=image_upload(), audio=audio_upload(content=wav_bytes(3))
    )
    assert response.status_code == 413
    assert not CheckIn.objects.exists()


def test_it_sniffs_content_not_names(tiny_models, employee, api_client_for):
    # A text file named like a PNG with an image content type.
    fake = image_upload(name="face.png", content=b"this is not an image at all" * 10)
    response = _post(api_client_for(employee), image=fake)
    assert response.status_code in (400, 415)
    assert response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_refuses_audio_that_is_not_audio(tiny_models, employee, api_client_for):
    fake = audio_upload(name="voice.wav", content=png_bytes())
    response = _post(api_client_for(employee), audio=fake)
    assert response.status_code in (400, 415)
    assert response.json()["detail"]


def test_a_tone_instead_of_speech_is_refused_when_scored_and_forgotten(
    tiny_models, employee, api_client_for, settings
):
    client = api_client_for(employee)
    tone = audio_upload(content=wav_bytes(4, tone=True))

    response = _post(client, audio=tone)

    # The request does the cheap checks only (it is a WAV); the speech gate runs in the worker
    # and its refusal reaches the person through the status they poll.
    assert response.status_code == 202
    assert score_checkin.run(response.json()["id"]) == "failed"
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed"
    assert status["failure_reason"].startswith("We could not hear enough speech in the clip")
    assert not DailyMetric.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_it_refuses_a_corrupt_image_without_leaving_files(
    tiny_models, employee, api_client_for, settings
):
    truncated = png_bytes()[:200]
    response = _post(api_client_for(employee), image=image_upload(content=truncated))
    assert response.status_code == 400
    assert response.json()["detail"]
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_it_requires_consent(tiny_models, employee, api_client_for):
    employee.biometric_consent_at = None
    employee.save()
    response = _post(api_client_for(employee), image=image_upload())
    assert response.status_code == 403
    assert "consent" in response.json()["detail"]
    assert "/me/data/" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_answers_401_to_anonymous(api_client):
    assert api_client.post(SYNC, {}, format="multipart").status_code == 401
    assert api_client.get(SYNC).status_code == 401
    assert api_client.get(f"{SYNC}1/").status_code == 401
    assert api_client.get("/api/v1/me/metrics/").status_code == 401


@pytest.mark.parametrize("persona", ["manager", "other_manager", "admin_user"])
def test_it_refuses_non_employees(persona, request, api_client_for, tiny_models):
    user = request.getfixturevalue(persona)
    client = api_client_for(user)
    response = _post(client, image=image_upload())
    assert response.status_code == 403
    assert "employees" in response.json()["detail"]
    assert client.get(SYNC).status_code == 403
    assert client.get("/api/v1/me/metrics/").status_code == 403


def test_it_rate_limits_submissions_per_user(
    tiny_models, employee, teammate, api_client_for, monkeypatch
):
    from django.core.cache import cache

    from metrics.throttles import CheckinSubmitThrottle

    monkeypatch.setattr(CheckinSubmitThrottle, "THROTTLE_RATES", {"checkin": "2/hour"})
    cache.clear()
    try:
        client = api_client_for(employee)
        assert _post(client, image=image_upload()).status_code == 202
        assert _post(client, image=image_upload()).status_code == 202
        response = _post(client, image=image_upload())
        assert response.status_code == 429
        assert response.json()["detail"]
        assert CheckIn.objects.count() == 2
        # Polling is not counted, and the limit is per user.
        assert client.get(SYNC).status_code == 200
        assert _post(api_client_for(teammate), image=image_upload()).status_code == 202
    finally:
        cache.clear()


def test_the_form_and_the_api_share_one_limit(
    tiny_models, employee, api_client_for, client, monkeypatch
):
    """Posting the page's form does not get around the API's limit, nor the other way round."""
    from django.core.cache import cache

    from metrics.throttles import CheckinSubmitThrottle

    monkeypatch.setattr(CheckinSubmitThrottle, "THROTTLE_RATES", {"checkin": "2/hour"})
    cache.clear()
    try:
        assert _post(api_client_for(employee), image=image_upload()).status_code == 202
        client.force_login(employee)
        assert client.post("/checkin/", {"image": image_upload()}).status_code == 302
        refused = client.post("/checkin/", {"image": image_upload()})
        assert refused.status_code == 429
        assert "many check-ins in a short time" in refused.content.decode()
        assert _post(api_client_for(employee), image=image_upload()).status_code == 429
        assert CheckIn.objects.count() == 2
    finally:
        cache.clear()


def test_status_list_and_detail_show_only_own_checkins(
    employee, teammate, api_client_for, make_checkin
):
    mine = make_checkin(flow_score=70.0, fatigue=0.3)
    theirs = make_checkin(user=teammate, flow_score=20.0)
    client = api_client_for(employee)
    listed = client.get(SYNC).json()
    assert [c["id"] for c in listed] == [mine.pk]
    assert client.get(f"{SYNC}{mine.pk}/").json()["flow_score"] == 70.0
    response = client.get(f"{SYNC}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_my_metrics_returns_own_days_in_range(employee, teammate, api_client_for):
    import datetime as dt

    day = dt.date(2026, 11, 10)
    for offset in range(3):
        DailyMetric.objects.create(
            user=employee, date=day + dt.timedelta(days=offset), flow_score=60 + offset
        )
    DailyMetric.objects.create(user=teammate, date=day, flow_score=10)
    client = api_client_for(employee)
    rows = client.get("/api/v1/me/metrics/", {"from": "2026-11-11", "to": "2026-11-12"}).json()
    assert [(r["date"], r["flow_score"]) for r in rows] == [
        ("2026-11-11", 61.0),
        ("2026-11-12", 62.0),
    ]
    assert len(client.get("/api/v1/me/metrics/").json()) == 3


def test_my_metrics_refuses_bad_dates(employee, api_client_for):
    client = api_client_for(employee)
    response = client.get("/api/v1/me/metrics/", {"from": "yesterday"})
    assert response.status_code == 400
    assert "date_from" in response.json()["errors"]
    response = client.get("/api/v1/me/metrics/", {"from": "2026-11-12", "to": "2026-11-01"})
    assert response.status_code == 400
    assert "after" in response.json()["detail"]


def test_the_url_names_are_stable():
    assert reverse("metrics-api:sync") == "/api/v1/sync/"
    assert reverse("metrics-api:sync-detail", args=[5]) == "/api/v1/sync/5/"
    assert reverse("metrics-api:my-metrics") == "/api/v1/me/metrics/"


PHOTO_CHECK = "/api/v1/sync/photo-check/"


def test_the_photo_check_accepts_a_face_and_stores_nothing(tiny_models, employee, api_client_for):
    response = api_client_for(employee).post(
        PHOTO_CHECK, {"image": image_upload()}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (png_bytes(face=False), "No face found in the photo"),
        (png_bytes(size=120), "too small"),
    ],
    ids=["no-face", "tiny-face"],
)
def test_the_photo_check_says_how_to_retake(
    tiny_models, employee, api_client_for, content, expected, settings
):
    response = api_client_for(employee).post(
        PHOTO_CHECK, {"image": image_upload(content=content)}, format="multipart"
    )

    assert response.status_code == 400
    assert expected in response.json()["detail"]
    assert not CheckIn.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_the_photo_check_is_for_employees_only(manager, api_client_for):
    response = api_client_for(manager).post(
        PHOTO_CHECK, {"image": image_upload()}, format="multipart"
    )
    assert response.status_code == 403
