"""Deactivation signs a person out everywhere and keeps their data; re-activation lets them
sign in again. The person here already had an account (Entra ID and Okta match existing
accounts by userName before they update them)."""

import datetime as dt
import time

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from metrics.models import DailyMetric

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
PROTECTED_API = "/api/v1/me/metrics/"


def _sessions_of(user: User) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def _matched_id(scim, user: User) -> str:
    response = scim.get(f'/scim/v2/Users?filter=userName eq "{user.username}"')
    assert response.json()["totalResults"] == 1
    return response.json()["Resources"][0]["id"]


def _set_active(scim, user_id: str, active: str) -> None:
    response = scim.patch(
        f"/scim/v2/Users/{user_id}", {"op": "Replace", "path": "active", "value": active}
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is (active == "True")


def _signed_in_everywhere(user: User, password: str, api_client) -> tuple[Client, dict]:
    browser = Client()
    response = browser.post(
        reverse("accounts:login"), {"username": user.username, "password": password}
    )
    assert response.status_code == 302
    assert browser.get(reverse("metrics:trends")).status_code == 200
    tokens = api_client.post(
        TOKEN_URL, {"username": user.username, "password": password}, format="json"
    ).json()
    assert (
        api_client.get(PROTECTED_API, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code
        == 200
    )
    return browser, tokens


def test_deactivation_ends_the_session_the_refresh_token_and_the_access_token(
    scim, employee, teammate, password, api_client
):
    browser, tokens = _signed_in_everywhere(employee, password, api_client)
    teammate_browser = Client()
    teammate_browser.force_login(teammate)
    assert _sessions_of(employee) >= 1
    # Access tokens are compared with the revocation to the second: let one tick by.
    time.sleep(1.05)

    _set_active(scim, _matched_id(scim, employee), "False")

    assert _sessions_of(employee) == 0
    assert _sessions_of(teammate) == 1
    assert teammate_browser.get(reverse("metrics:trends")).status_code == 200
    page = browser.get(reverse("metrics:trends"))
    assert page.status_code == 302 and "/accounts/login/" in page.url
    assert (
        api_client.get(PROTECTED_API, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code
        == 401
    )
    assert (
        api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code
        == 401
    )
    assert (
        api_client.post(
            TOKEN_URL, {"username": employee.username, "password": password}, format="json"
        ).status_code
        == 401
    )
    assert (
        Client()
        .post(reverse("accounts:login"), {"username": employee.username, "password": password})
        .status_code
        == 200
    )  # the form again, not a redirect: no sign-in


def test_re_activation_allows_sign_in_again_but_not_the_old_tokens(
    scim, employee, password, api_client
):
    _, tokens = _signed_in_everywhere(employee, password, api_client)
    time.sleep(1.05)
    user_id = _matched_id(scim, employee)
    _set_active(scim, user_id, "False")

    _set_active(scim, user_id, "True")

    fresh = api_client.post(
        TOKEN_URL, {"username": employee.username, "password": password}, format="json"
    )
    assert fresh.status_code == 200
    assert (
        api_client.get(
            PROTECTED_API, HTTP_AUTHORIZATION=f"Bearer {fresh.json()['access']}"
        ).status_code
        == 200
    )
    browser = Client()
    browser.post(reverse("accounts:login"), {"username": employee.username, "password": password})
    assert browser.get(reverse("metrics:trends")).status_code == 200
    # What was signed in before the deactivation stays signed out.
    assert (
        api_client.get(PROTECTED_API, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code
        == 401
    )
    assert (
        api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code
        == 401
    )


def test_deactivation_and_deletion_keep_the_persons_data_and_rights(scim, employee, team):
    today = timezone.localdate()
    for offset in range(3):
        DailyMetric.objects.create(
            user=employee, team=team, date=today - dt.timedelta(days=offset), flow_score=61.5
        )
    user_id = _matched_id(scim, employee)

    _set_active(scim, user_id, "False")
    assert DailyMetric.objects.filter(user=employee).count() == 3
    assert scim.delete(f"/scim/v2/Users/{user_id}").status_code == 204

    employee.refresh_from_db()
    assert employee.is_active is False
    assert employee.team is None  # left the team; days already scored keep theirs
    assert DailyMetric.objects.filter(user=employee, team=team).count() == 3

    # The identity provider takes the person back (a re-hire): the same account, with data,
    # that can export it again.
    again = scim.post(
        "/scim/v2/Users",
        {"userName": employee.username, "active": True, "emails": [{"value": "erin@example.com"}]},
    )
    assert again.status_code == 201, again.content
    assert again.json()["id"] == user_id
    employee.refresh_from_db()
    assert employee.is_active is True
    browser = Client()
    browser.force_login(employee)
    export = browser.get(reverse("metrics:my-data-json"))
    assert export.status_code == 200
    assert export.content.count(b"61.5") == 3


def test_a_superuser_is_out_of_reach(scim, admin_user):
    found = scim.get(f'/scim/v2/Users?filter=userName eq "{admin_user.username}"').json()
    assert found["totalResults"] == 0
    assert scim.get(f"/scim/v2/Users/{admin_user.pk}").status_code == 404
    response = scim.patch(
        f"/scim/v2/Users/{admin_user.pk}", {"op": "replace", "path": "active", "value": False}
    )
    assert response.status_code == 404
    admin_user.refresh_from_db()
    assert admin_user.is_active
    # Nor can its name be taken.
    clash = scim.post("/scim/v2/Users", {"userName": admin_user.username.upper()})
    assert clash.status_code == 409
    assert clash.json()["scimType"] == "uniqueness"
