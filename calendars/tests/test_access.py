"""Who may connect a calendar: employees, each only their own (JWT and session)."""

from __future__ import annotations

import pytest

from calendars.models import CalendarConnection

pytestmark = pytest.mark.django_db

API = "/api/v1/me/calendar/"
PAYLOAD = {"kind": "ics", "url": "https://calendar.example.com/private.ics"}


def test_it_refuses_anonymous_callers_with_401(api_client):
    for method in ("get", "put", "delete"):
        assert getattr(api_client, method)(API, PAYLOAD, format="json").status_code == 401


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_it_refuses_managers_and_admins(request, persona, api_client_for):
    api = api_client_for(request.getfixturevalue(persona))
    for method in ("get", "put", "delete"):
        response = getattr(api, method)(API, PAYLOAD, format="json")
        assert response.status_code == 403
        assert "employees" in response.json()["detail"]
    assert not CalendarConnection.objects.exists()


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_the_page_refuses_managers_and_admins(request, persona, client):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/me/calendar/").status_code == 403
    assert client.post("/me/calendar/", PAYLOAD).status_code == 403
    assert client.post("/me/calendar/disconnect/").status_code == 403


def test_the_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/me/calendar/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_an_employee_sees_only_their_own_connection(employee, teammate, api_client_for):
    CalendarConnection.objects.create(user=teammate, kind="ics", url=PAYLOAD["url"])

    mine = api_client_for(employee).get(API).json()
    assert mine["connected"] is False
    assert api_client_for(employee).delete(API).status_code == 204
    assert CalendarConnection.objects.filter(user=teammate).exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"kind": "outlook", "url": "https://x.example/a.ics"}, "kind"),
        ({"kind": "ics"}, "url"),
        ({"kind": "caldav", "url": "https://dav.example/"}, "user name and password"),
        (
            {"kind": "ics", "url": "https://x.example/a.ics", "password": "p"},
            "takes no user name or password",
        ),
    ],
)
def test_it_explains_invalid_input(employee, api_client_for, payload, message):
    response = api_client_for(employee).put(API, payload, format="json")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_status_never_shows_the_password_or_the_address(employee, api_client_for):
    CalendarConnection.objects.create(
        user=employee,
        kind="caldav",
        url="https://dav.example.com/u/token-abc123/",
        username="erin",
        password="hunter2-secret",
    )
    body = api_client_for(employee).get(API).content.decode()
    assert "hunter2-secret" not in body and "token-abc123" not in body
    assert '"host":"dav.example.com"' in body.replace(" ", "")
