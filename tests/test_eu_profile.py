"""SIGNAL_PROFILE=eu end to end: six people check in with a photo and a voice clip; fatigue,
burnout and the FlowScore are scored, and no voice-derived number reaches any answer, stored
row, export, alert, heatmap, CSV or dashboard; no audio file is kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import BurnoutAlert
from metrics.models import CheckIn, DailyMetric
from metrics.tests.media import audio_upload, image_upload
from resonance import indicators
from teams.models import PublishedTeamPeriod
from teams.publication import team_periods_publish
from teams.tests.helpers import add_members, closing_time, week_of

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/sync/"
# Words that would name an emotion inference in an answer.
EMOTION_WORDS = ("stress", "arousal", "valence", "emotion")


@pytest.fixture
def eu(settings):
    settings.SIGNAL_PROFILE = "eu"


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _assert_no_emotion(text: str, where: str) -> None:
    lowered = text.lower()
    for word in EMOTION_WORDS:
        assert word not in lowered, f"{word!r} in {where}: {text[:400]}"


def test_the_registry_leaves_out_only_emotion_under_eu(eu):
    left_out = indicators.inactive()
    assert [i.key for i in left_out] == ["stress"]
    assert all(i.category == indicators.Category.EMOTION for i in left_out)
    assert "stress" not in indicators.flow_weights()
    assert indicators.media_needed() == ("image",)
    assert indicators.device_kinds() == {"fatigue": "fatigue"}


def test_six_people_check_in_and_nothing_voice_derived_is_kept_or_shown(
    eu,
    tiny_models,
    team,
    manager,
    api_client_for,
    settings,
    noiseless,
    django_capture_on_commit_callbacks,
):
    members = add_members(team, 6)
    for member in members:
        member.biometric_consent_at = timezone.now()
        member.save(update_fields=["biometric_consent_at"])

    answers = []
    for member in members:
        client = api_client_for(member)
        # Scoring runs in-process after commit, as on the embedded default.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                SYNC, {"image": image_upload(), "audio": audio_upload()}, format="multipart"
            )
        assert response.status_code == 202, response.content
        body = response.json()
        assert body["ignored"] == ["audio"]
        assert "voice clip was not read or stored" in body["notice"]
        status = client.get(body["status_url"])
        answers.append(status)
        listing = client.get(SYNC)
        answers.append(listing)
        answers.append(client.get("/api/v1/me/metrics/"))

    checkins = list(CheckIn.objects.all())
    assert len(checkins) == 6
    for checkin in checkins:
        assert checkin.status == CheckIn.Status.DONE, checkin.failure_reason
        assert checkin.fatigue is not None and checkin.burnout is not None
        assert checkin.flow_score is not None
        assert checkin.stress is None
        assert checkin.audio.name == ""
        assert set(checkin.model_versions) == {"fatigue", "burnout"}
    assert not DailyMetric.objects.filter(stress__isnull=False).exists()
    assert DailyMetric.objects.filter(flow_score__isnull=False).count() == 6
    # No audio file anywhere in storage.
    media_root = Path(settings.MEDIA_ROOT)
    assert not list(media_root.rglob("audio/*"))

    for response in answers:
        assert response.status_code == 200
        assert "stress" not in _keys(response.json())
        _assert_no_emotion(response.content.decode(), response.wsgi_request.path)
    status = answers[0].json()
    assert status["fatigue"] is not None and status["flow_score"] is not None

    # The employee's own exports.
    browser = Client()
    browser.force_login(members[0])
    export = browser.get(reverse("metrics:my-data-json"))
    assert "stress" not in _keys(json.loads(export.content))
    _assert_no_emotion(export.content.decode(), "JSON export")
    table = browser.get(reverse("metrics:my-data-csv")).content.decode()
    header = next(csv.reader(io.StringIO(table)))
    assert "fatigue" in header and "stress" not in header
    _assert_no_emotion(table, "CSV export")

    # Publication (as it will be once the month has closed; monthly components for a team
    # this small), then the manager's views.
    today = checkins[0].local_date
    assert today is not None
    settings.PRIVACY_MONTH_MIN_GROUP = 5
    month_end = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    team_periods_publish(now=closing_time(month_end))
    week = PublishedTeamPeriod.objects.get(team=team, period="week", date=week_of(today))
    assert week.status == PublishedTeamPeriod.Status.PUBLISHED and week.flow_score is not None
    cell = PublishedTeamPeriod.objects.get(team=team, period="month", date=today.replace(day=1))
    assert cell.status == PublishedTeamPeriod.Status.PUBLISHED
    assert cell.fatigue is not None and cell.stress is None

    api = api_client_for(manager)
    heatmap = api.get(f"/api/v1/teams/{team.id}/heatmap/", {"from": str(today), "to": str(today)})
    assert heatmap.status_code == 200
    _assert_no_emotion(heatmap.content.decode(), "heatmap API")
    refused = api.get(f"/api/v1/teams/{team.id}/heatmap/", {"metric": "stress"})
    assert refused.status_code == 400
    assert "Unknown metric 'stress'" in json.dumps(refused.json())

    pages = Client()
    pages.force_login(manager)
    for metric in indicators.published_keys():
        page = pages.get(reverse("teams:dashboard"), {"metric": metric, "days": 30})
        assert page.status_code == 200
        _assert_no_emotion(page.content.decode(), f"dashboard ({metric})")
        export = pages.get(reverse("teams:dashboard-csv"), {"metric": metric, "days": 30})
        assert export.status_code == 200
        _assert_no_emotion(export.content.decode(), f"dashboard CSV ({metric})")
    assert pages.get(reverse("teams:dashboard"), {"metric": "stress"}).status_code == 400
    alerts = api.get("/api/v1/alerts/")
    assert alerts.status_code == 200
    _assert_no_emotion(alerts.content.decode(), "alerts")
    for alert in BurnoutAlert.objects.all():
        _assert_no_emotion(json.dumps(alert.snapshot, default=str) + alert.message, "alert row")

    # The employee's pages.
    for name in ("metrics:checkin", "metrics:trends", "metrics:my-data"):
        page = browser.get(reverse(name))
        assert page.status_code == 200
        _assert_no_emotion(page.content.decode(), name)


def test_a_voice_clip_alone_is_refused_with_a_reason_and_stores_nothing(
    eu, tiny_models, employee, api_client_for
):
    response = api_client_for(employee).post(SYNC, {"audio": audio_upload()}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == "Send a face image ('image')."
    assert not CheckIn.objects.exists()


def test_a_device_stress_score_is_refused_under_eu(
    eu, tiny_models, employee, api_client_for, settings
):
    # Private mode on, so the refusal is the profile's and not private mode's.
    settings.PRIVATE_MODE = "required"
    payload = {"scores": {"fatigue": 0.2, "stress": 0.4}, "model_versions": {}}
    response = api_client_for(employee).post(SYNC, payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "indicator_not_used"
    assert "does not use the 'stress' score" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_the_device_manifest_offers_no_voice_model_under_eu(
    eu, tiny_models, employee, api_client_for, settings
):
    settings.PRIVATE_MODE = "required"
    manifest = api_client_for(employee).get("/api/v1/device/manifest/").json()
    assert "voice" not in manifest["kinds"]


def test_the_demo_seeds_under_eu_without_emotion_values(eu, tiny_models):
    call_command("seed_demo", stdout=io.StringIO())
    assert DailyMetric.objects.exists()
    assert not DailyMetric.objects.filter(stress__isnull=False).exists()
    assert not DailyMetric.objects.filter(flow_score__isnull=True).exists()


def test_healthz_names_the_profile_and_needs_no_voice_model(eu, tiny_models, client):
    # A deployment under eu need not install a voice model at all.
    tiny_models["voice"].delete()
    response = client.get("/healthz")
    body = response.json()
    assert body["signal_profile"] == {"name": "eu", "left_out": ["stress"]}
    assert not {"voice", "vad", "voice_encoder"} & set(body["models"])
    assert {"fatigue", "burnout", "face"} <= set(body["models"])
    assert response.status_code == 200, body


def test_the_worker_warm_up_loads_no_voice_model_under_eu(eu, tiny_models):
    from inference import sessions
    from inference.apps import _load_models_in_worker

    sessions.reset()
    _load_models_in_worker()
    loaded = set(sessions.loaded())
    assert {"fatigue", "burnout"} <= loaded
    assert not {"voice", "vad", "voice_encoder"} & loaded


def test_predict_refuses_the_voice_model_under_eu(eu, tiny_models, tmp_path):
    from django.core.management.base import CommandError

    clip = tmp_path / "clip.wav"
    clip.write_bytes(audio_upload().read())
    with pytest.raises(CommandError, match="does not use the voice model"):
        call_command("predict", "voice", str(clip), stdout=io.StringIO())


@pytest.mark.parametrize("path", ["/admin/metrics/checkin/", "/admin/metrics/dailymetric/"])
def test_individual_rows_in_the_admin_are_for_admins_only_and_follow_the_profile(
    path, eu, employee, manager, admin_user
):
    checkin = CheckIn.objects.create(
        user=employee, status=CheckIn.Status.DONE, fatigue=0.2, burnout=0.3, flow_score=70.0
    )
    DailyMetric.objects.create(user=employee, date=dt.date(2026, 12, 1), fatigue=0.2)
    for outsider in (employee, manager):
        client = Client()
        client.force_login(outsider)
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client = Client()
    client.force_login(admin_user)
    listing = client.get(path)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Signal profile: <strong>eu</strong>" in html
    assert "column-fatigue" in html and "column-stress" not in html
    if "checkin" in path:
        detail = client.get(f"{path}{checkin.pk}/change/").content.decode()
        assert "field-fatigue" in detail and "field-stress" not in detail
        assert client.post(f"{path}{checkin.pk}/delete/").status_code == 403
