import datetime as dt
import time

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.serializers import SESSION_START_CLAIM

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
PASSWORD_URL = "/api/v1/auth/password/"
PROTECTED_URL = "/api/v1/auth/password/"  # any authenticated endpoint


def obtain(api_client, user, password) -> dict:
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_it_issues_a_token_pair(api_client, employee, password):
    tokens = obtain(api_client, employee, password)

    assert set(tokens) == {"access", "refresh"}
    assert AccessToken(tokens["access"])["user_id"] == str(employee.pk)


def test_it_rejects_a_wrong_password_with_a_readable_message(api_client, employee):
    response = api_client.post(
        TOKEN_URL, {"username": employee.username, "password": "nope"}, format="json"
    )

    assert response.status_code == 401
    assert "credentials" in response.json()["detail"].lower()


def test_it_rejects_malformed_json(api_client):
    response = api_client.post(TOKEN_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_it_rotates_refresh_tokens_and_rejects_reuse(api_client, employee, password):
    tokens = obtain(api_client, employee, password)

    first = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh"] != tokens["refresh"]
    assert "access" in rotated

    reuse = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    # What reuse detection does to the rest of the login: accounts/tests/test_refresh_reuse.py.


def test_it_keeps_the_session_start_across_rotation(api_client, employee, password):
    tokens = obtain(api_client, employee, password)
    started = RefreshToken(tokens["refresh"])[SESSION_START_CLAIM]

    rotated = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").json()

    assert RefreshToken(rotated["refresh"])[SESSION_START_CLAIM] == started


def test_it_caps_a_session_however_often_it_is_refreshed(api_client, employee, settings):
    refresh = RefreshToken.for_user(employee)
    refresh[SESSION_START_CLAIM] = int(time.time()) - settings.JWT_SESSION_MAX_HOURS * 3600 - 1

    response = api_client.post(REFRESH_URL, {"refresh": str(refresh)}, format="json")

    assert response.status_code == 401
    assert "session has expired" in response.json()["detail"]


def test_logout_blacklists_the_refresh_token(api_client, employee, password):
    tokens = obtain(api_client, employee, password)

    logout = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")
    assert logout.status_code == 204

    response = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401


def test_logout_with_a_garbage_token_is_a_clear_400(api_client):
    response = api_client.post(LOGOUT_URL, {"refresh": "garbage"}, format="json")

    assert response.status_code == 400
    assert "Cannot log out" in response.json()["detail"]


def test_it_rejects_an_expired_access_token(api_client, employee):
    access = AccessToken.for_user(employee)
    access.set_exp(lifetime=-dt.timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = api_client.post(PROTECTED_URL, {}, format="json")

    assert response.status_code == 401
    assert "expired" in str(response.json()).lower()


def test_it_rejects_an_expired_refresh_token(api_client, employee):
    refresh = RefreshToken.for_user(employee)
    refresh[SESSION_START_CLAIM] = int(time.time())
    refresh.set_exp(lifetime=-dt.timedelta(seconds=1))

    response = api_client.post(REFRESH_URL, {"refresh": str(refresh)}, format="json")

    assert response.status_code == 401


def test_it_requires_authentication(api_client):
    response = api_client.post(PROTECTED_URL, {}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"]


def test_password_change_revokes_refresh_and_access_tokens(api_client, employee, password):
    tokens = obtain(api_client, employee, password)
    # iat has one-second resolution; make sure the change happens strictly later.
    time.sleep(1.1)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post(
        PASSWORD_URL,
        {"old_password": password, "new_password": "a-brand-new-Passphrase-42"},
        format="json",
    )
    assert response.status_code == 204

    reuse = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")
    assert reuse.status_code == 401
    old_access = api_client.post(PASSWORD_URL, {}, format="json")
    assert old_access.status_code == 401
    assert "password changed" in old_access.json()["detail"]

    api_client.credentials()
    fresh = api_client.post(
        TOKEN_URL,
        {"username": employee.username, "password": "a-brand-new-Passphrase-42"},
        format="json",
    )
    assert fresh.status_code == 200


def test_password_change_checks_the_old_password(api_client_for, employee):
    response = api_client_for(employee).post(
        PASSWORD_URL, {"old_password": "wrong", "new_password": "x-Y-z-123456789"}, format="json"
    )

    assert response.status_code == 400
    assert "old_password" in response.json()["errors"]


@pytest.mark.parametrize("new_password", ["short", "password123", "12345678901"])
def test_password_change_refuses_weak_passwords(api_client_for, employee, password, new_password):
    response = api_client_for(employee).post(
        PASSWORD_URL, {"old_password": password, "new_password": new_password}, format="json"
    )

    assert response.status_code == 400
    assert "new_password" in response.json()["errors"]
