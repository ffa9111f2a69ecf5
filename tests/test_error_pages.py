"""Error pages: styled, with the domain's message and the menu; JSON under /api/; expected 4xx
logged at INFO without a traceback."""

import logging

import pytest
from django.test import Client
from django.urls import path

from resonance import urls as root_urls


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [*root_urls.urlpatterns, path("boom/", _boom)]
handler500 = root_urls.handler500


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "url", "message"),
    [
        ("manager", "/checkin/", "Check-ins are for employees"),
        ("manager", "/me/trends/", "Check-ins are for employees"),
        ("manager", "/me/data/", "Check-ins are for employees"),
        ("manager", "/excuses/", "Meeting-excuse emails are available to employees."),
        ("employee", "/dashboard/", "The team dashboard is for managers and admins."),
    ],
)
def test_a_forbidden_page_is_styled_with_the_reason_the_menu_and_a_way_back(
    request, client, persona, url, message
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(url)

    body = response.content.decode()
    assert response.status_code == 403
    assert '<h1 id="error-title">Not available to your account</h1>' in body
    assert message in body
    assert 'nav aria-label="Main"' in body and "Sign out" in body
    assert "Go to your start page" in body and 'href="/"' in body
    assert "app.css" in body


@pytest.mark.django_db
def test_a_missing_page_is_styled_and_says_why(client, employee):
    client.force_login(employee)

    unknown = client.get("/no-such-page/")
    not_yours = client.get("/checkin/999999/")

    assert unknown.status_code == 404
    assert "Page not found" in unknown.content.decode()
    assert "There is no page at this address." in unknown.content.decode()
    assert not_yours.status_code == 404
    assert "No check-in of yours has this id." in not_yours.content.decode()


@pytest.mark.django_db
def test_signed_out_visitors_get_a_sign_in_link_not_a_menu(client):
    response = client.get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "Sign in" in body and 'nav aria-label="Main"' not in body


@pytest.mark.django_db
def test_api_errors_stay_json(client, manager, api_client_for):
    missing = client.get("/api/v1/no-such-endpoint/")
    forbidden = api_client_for(manager).get("/api/v1/me/metrics/")

    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    assert forbidden.status_code == 403
    assert "employees" in forbidden.json()["detail"]


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_is_a_styled_page_without_the_menu(settings, employee):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(employee)

    response = client.get("/boom/")

    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and "app.css" in body
    assert "Sign out" not in body and "a bug" not in body


@pytest.mark.django_db
def test_expected_4xx_are_logged_at_info_without_a_traceback(client, manager, caplog):
    client.force_login(manager)

    with caplog.at_level(logging.INFO, logger="django.request"):
        client.get("/checkin/")
        client.get("/no-such-page/")

    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.status_code for r in records] == [403, 404]
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in records)


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_server_errors_keep_their_traceback(settings, caplog):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.INFO, logger="django.request"):
        client.get("/boom/")

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR and record.exc_info is not None


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/excuses/", "/checkin/", "/me/trends/", "/me/data/"])
def test_signed_in_pages_are_never_stored_so_todays_score_is_read_fresh(client, employee, url):
    client.force_login(employee)

    response = client.get(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_excuse_banner_follows_a_new_check_in(client, employee):
    import datetime as dt

    from django.utils import timezone

    from metrics.models import DailyMetric

    client.force_login(employee)
    today = timezone.now().astimezone(dt.UTC).date()
    day = DailyMetric.objects.create(user=employee, date=today, flow_score=31.0)
    assert "Your FlowScore today is 31" in client.get("/excuses/").content.decode()

    day.flow_score = 36.0
    day.save()

    assert "Your FlowScore today is 36" in client.get("/excuses/").content.decode()
