"""Employee pages: who may use them, consent, export, erase, the no-JavaScript check-in."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.test import Client

from metrics.models import CheckIn, DailyMetric

from .media import image_upload, png_bytes

pytestmark = pytest.mark.django_db

PAGES = ["/checkin/", "/me/trends/", "/me/data/", "/me/data/export.json", "/me/data/export.csv"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["manager", "other_manager", "admin_user"])
def test_non_employees_are_refused(client, request, url, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_employees_can_open_their_pages(client, employee, url):
    client.force_login(employee)
    assert client.get(url).status_code == 200


def test_the_nav_links_the_employee_pages(client, employee):
    client.force_login(employee)
    html = client.get("/me/trends/").content.decode()
    for href in ('href="/checkin/"', 'href="/me/trends/"', 'href="/me/data/"'):
        assert href in html


def test_the_checkin_page_has_capture_upload_and_no_inline_script(client, employee):
    client.force_login(employee)
    html = client.get("/checkin/").content.decode()
    assert 'id="camera-start"' in html and 'id="mic-record"' in html
    assert 'type="file" name="image"' in html and 'type="file" name="audio"' in html
    assert 'src="/static/js/checkin.js"' in html
    assert "<script>" not in html and "onclick" not in html


def test_the_checkin_page_asks_for_consent_first(client, employee):
    employee.biometric_consent_at = None
    employee.save()
    client.force_login(employee)
    html = client.get("/checkin/").content.decode()
    assert 'id="consent-needed"' in html
    assert 'id="checkin-form"' not in html


def test_the_form_fallback_submits_and_shows_the_result(tiny_models, employee):
    from metrics.tasks import score_checkin

    client = Client(enforce_csrf_checks=True)
    client.force_login(employee)
    client.get("/checkin/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/checkin/",
        {"image": image_upload(), "hours_worked": "7", "csrfmiddlewaretoken": token},
    )
    checkin = CheckIn.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/checkin/{checkin.pk}/"
    assert "Scoring" in client.get(response["Location"]).content.decode()
    score_checkin.run(checkin.pk)
    html = client.get(response["Location"]).content.decode()
    assert 'id="result-flow"' in html
    assert f"{CheckIn.objects.get().flow_score:.1f}" in html


def test_the_form_fallback_checks_csrf(tiny_models, employee):
    client = Client(enforce_csrf_checks=True)
    client.force_login(employee)
    response = client.post("/checkin/", {"image": image_upload()})
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_the_form_fallback_refuses_large_files_with_413(tiny_models, employee, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    client = Client()
    client.force_login(employee)
    response = client.post("/checkin/", {"image": image_upload(content=png_bytes(size=400))})
    assert response.status_code == 413
    assert "at most" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_form_fallback_explains_bad_media(tiny_models, employee):
    client = Client()
    client.force_login(employee)
    response = client.post("/checkin/", {"image": image_upload(content=b"not an image" * 30)})
    assert response.status_code in (400, 415)
    assert 'class="errorlist"' in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_checkin_result_page_is_only_for_its_owner(client, teammate, make_checkin):
    theirs = make_checkin(user=teammate)
    client.force_login(teammate)
    assert client.get(f"/checkin/{theirs.pk}/").status_code == 200
    other = Client()
    other.force_login(make_checkin().user)  # employee
    assert other.get(f"/checkin/{theirs.pk}/").status_code == 404


def test_trends_shows_only_own_data_with_the_chart_as_json(client, employee, teammate):
    day = dt.date.today()
    DailyMetric.objects.create(user=employee, date=day, flow_score=64.5, burnout=0.3)
    DailyMetric.objects.create(user=teammate, date=day, flow_score=12.5, burnout=0.9)
    client.force_login(employee)
    response = client.get("/me/trends/")
    html = response.content.decode()
    assert '<script id="trends-figure" type="application/json">' in html
    figure = response.context["figure"]
    assert list(figure["data"][0]["y"]) == [64.5]
    assert "12.5" not in html
    assert 'src="/static/vendor/plotly.min.js"' in html
    assert "cdn" not in html.lower()


def test_trends_without_data_invites_a_checkin(client, employee):
    client.force_login(employee)
    html = client.get("/me/trends/").content.decode()
    assert 'id="no-data"' in html
    assert "plotly.min.js" not in html


def test_trends_say_which_numbers_alerts_use(client, employee):
    client.force_login(employee)
    html = client.get("/me/trends/").content.decode()
    said = html[html.index('id="usual-alerts"') :]
    assert "burnout risk" in said and "below your usual" in said
    assert "never alerts by itself" in said
    assert "So does voice stress" in said  # standard profile: voice stress is measured


def test_under_the_eu_profile_trends_do_not_mention_voice_stress(client, employee, settings):
    settings.SIGNAL_PROFILE = "eu"
    client.force_login(employee)
    html = client.get("/me/trends/").content.decode()
    said = html[html.index('id="usual-alerts"') :]
    assert "voice stress" not in said.lower()


def test_consent_can_be_given_and_withdrawn(client, employee):
    from metrics.services.submission import checkin_submit  # noqa: F401  (consent gates it; see API tests)

    employee.biometric_consent_at = None
    employee.save()
    client.force_login(employee)
    client.post("/me/data/consent/", {"consent": "give"})
    employee.refresh_from_db()
    assert employee.has_consented
    client.post("/me/data/consent/", {"consent": "withdraw"})
    employee.refresh_from_db()
    assert not employee.has_consented
    response = client.post("/me/data/consent/", {"consent": "maybe"}, follow=True)
    assert "Choose" in response.content.decode()


def test_consent_changes_need_post_and_csrf(employee):
    client = Client(enforce_csrf_checks=True)
    client.force_login(employee)
    assert client.get("/me/data/consent/").status_code == 405
    assert client.post("/me/data/consent/", {"consent": "withdraw"}).status_code == 403
    employee.refresh_from_db()
    assert employee.has_consented


def _own_data(employee, teammate, make_checkin, settings):
    from django.core.files.base import ContentFile

    mine = make_checkin(flow_score=55.0, fatigue=0.4, model_versions={"fatigue": "v1"})
    kept = make_checkin(status=CheckIn.Status.FAILED, failure_reason="model missing")
    kept.image.save("x", ContentFile(png_bytes()))
    DailyMetric.objects.create(user=employee, date=dt.date(2026, 11, 20), flow_score=55.0)
    theirs = make_checkin(user=teammate, flow_score=11.0)
    DailyMetric.objects.create(user=teammate, date=dt.date(2026, 11, 20), flow_score=11.0)
    return mine, kept, theirs


def test_export_json_has_all_own_data_and_nothing_else(
    client, employee, teammate, make_checkin, settings
):
    mine, kept, _ = _own_data(employee, teammate, make_checkin, settings)
    client.force_login(employee)
    response = client.get("/me/data/export.json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["profile"]["username"] == employee.username
    assert {c["id"] for c in data["checkins"]} == {mine.pk, kept.pk}
    assert next(c for c in data["checkins"] if c["id"] == kept.pk)["media_stored"] is True
    assert [m["flow_score"] for m in data["daily_metrics"]] == [55.0]
    assert "11.0" not in response.content.decode()


def test_export_csv_has_the_same_rows(client, employee, teammate, make_checkin, settings):
    _own_data(employee, teammate, make_checkin, settings)
    client.force_login(employee)
    response = client.get("/me/data/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    kinds = [r["record"] for r in rows]
    assert kinds.count("checkin") == 2 and kinds.count("daily_metric") == 1
    assert {"field": "username", "value": employee.username} == {
        k: v
        for k, v in next(r for r in rows if r["field"] == "username").items()
        if k in ("field", "value")
    }
    assert all(r["flow_score"] != "11.0" for r in rows)


def test_erase_deletes_own_checkins_metrics_and_media_only(
    client, employee, teammate, make_checkin, settings, django_capture_on_commit_callbacks
):
    _, kept, theirs = _own_data(employee, teammate, make_checkin, settings)
    media = Path(kept.image.path)
    assert media.exists()
    client.force_login(employee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/data/erase/", {"confirm": "erase"}, follow=True)
    assert "Erased 2 check-ins" in response.content.decode()
    assert not CheckIn.objects.filter(user=employee).exists()
    assert not DailyMetric.objects.filter(user=employee).exists()
    assert not media.exists()
    assert CheckIn.objects.filter(pk=theirs.pk).exists()
    assert DailyMetric.objects.filter(user=teammate).exists()
    data = json.loads(client.get("/me/data/export.json").content)
    assert data["checkins"] == [] and data["daily_metrics"] == []


def test_erase_needs_the_confirmation_word(client, employee, make_checkin):
    make_checkin()
    client.force_login(employee)
    response = client.post("/me/data/erase/", {"confirm": "yes"}, follow=True)
    assert "nothing was deleted" in response.content.decode()
    assert CheckIn.objects.filter(user=employee).exists()


def test_erase_reevaluates_alerts_so_they_resolve(
    client, employee, make_checkin, django_capture_on_commit_callbacks, monkeypatch
):
    from alerts.handlers import EVALUATE_PERSON_TASK
    from outbox.selectors import outbox_queued
    from resonance.celery import app

    make_checkin()
    monkeypatch.setattr(app.conf, "task_always_eager", False)  # queued for a worker
    client.force_login(employee)
    queued_before = outbox_queued(EVALUATE_PERSON_TASK)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/me/data/erase/", {"confirm": "erase"})
    queued = outbox_queued(EVALUATE_PERSON_TASK)[len(queued_before) :]
    assert [args[0] for args in queued] == [employee.pk]


def test_the_erase_section_says_published_team_figures_stay(client, employee):
    client.force_login(employee)
    body = client.get("/me/data/").content.decode()
    assert 'id="erase-published-note"' in body
    assert "already published to managers stay as they are" in body
