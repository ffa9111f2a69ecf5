"""Refresh-token reuse detection (OAuth 2.0 Security BCP): a spent refresh token presented
again signs out every session of the login it came from, and only that login."""

import logging
import time

import pytest
from django.db import connection
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.serializers import SESSION_START_CLAIM
from accounts.services import (
    FAMILY_CLAIM,
    refresh_token_family_revoke,
    refresh_token_outstanding_sync,
)

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"


def login(api_client, user, password) -> dict:
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def refresh(api_client, token: str):
    return api_client.post(REFRESH_URL, {"refresh": token}, format="json")


def issue(user, family: str) -> RefreshToken:
    """A live refresh token of ``user`` in ``family``, recorded as the login records it."""
    token = RefreshToken.for_user(user)
    token[FAMILY_CLAIM] = family
    token[SESSION_START_CLAIM] = int(time.time())
    refresh_token_outstanding_sync(token=token)
    return token


def test_it_gives_each_login_its_own_family_kept_through_rotation(api_client, employee, password):
    first = login(api_client, employee, password)
    second = login(api_client, employee, password)

    family = RefreshToken(first["refresh"])[FAMILY_CLAIM]
    rotated = refresh(api_client, first["refresh"]).json()

    assert family and family != RefreshToken(second["refresh"])[FAMILY_CLAIM]
    assert RefreshToken(rotated["refresh"])[FAMILY_CLAIM] == family
    # The stored copy of the login token carries the family too (revocation reads it).
    stored = OutstandingToken.objects.get(jti=RefreshToken(first["refresh"], verify=False)["jti"])
    assert RefreshToken(stored.token, verify=False)[FAMILY_CLAIM] == family


def test_it_keeps_a_normal_rotation_chain_working(api_client, employee, password):
    r1 = login(api_client, employee, password)["refresh"]

    r2 = refresh(api_client, r1)
    assert r2.status_code == 200
    r3 = refresh(api_client, r2.json()["refresh"])
    assert r3.status_code == 200
    r4 = refresh(api_client, r3.json()["refresh"])

    assert r4.status_code == 200
    assert len({r1, r2.json()["refresh"], r3.json()["refresh"], r4.json()["refresh"]}) == 4


def test_reuse_of_a_rotated_token_signs_out_that_login_only(api_client, employee, password):
    r1 = login(api_client, employee, password)["refresh"]
    r2 = refresh(api_client, r1).json()["refresh"]
    other_login = login(api_client, employee, password)

    reuse = refresh(api_client, r1)

    assert reuse.status_code == 401
    assert reuse.json()["detail"].startswith("This refresh token was already used;")
    assert reuse.json()["code"] == "token_reused"
    assert refresh(api_client, r2).status_code == 401
    assert refresh(api_client, other_login["refresh"]).status_code == 200


def test_reuse_is_logged_without_the_token(api_client, employee, password, caplog):
    r1 = login(api_client, employee, password)["refresh"]
    refresh(api_client, r1)
    family = RefreshToken(r1, verify=False)[FAMILY_CLAIM]

    with caplog.at_level(logging.WARNING, logger="accounts.security"):
        refresh(api_client, r1)

    [record] = [r for r in caplog.records if r.name == "accounts.security"]
    assert record.levelno == logging.WARNING
    assert f"user_id={employee.pk}" in record.getMessage()
    assert f"family={family}" in record.getMessage()
    assert r1 not in caplog.text


def test_reuse_of_a_logged_out_token_revokes_its_family(api_client, employee, password):
    tokens = login(api_client, employee, password)
    # Another live token of the same sign-in, e.g. one a thief minted by refreshing a copy.
    sibling = issue(employee, RefreshToken(tokens["refresh"])[FAMILY_CLAIM])
    other_login = login(api_client, employee, password)
    assert (
        api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json").status_code
        == 204
    )

    reuse = refresh(api_client, tokens["refresh"])

    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    assert refresh(api_client, str(sibling)).status_code == 401
    assert refresh(api_client, other_login["refresh"]).status_code == 200


@pytest.mark.django_db(transaction=True)  # no test transaction around the request, as in production
def test_the_revocation_survives_the_error_response_under_atomic_requests(
    api_client, employee, password, monkeypatch
):
    # With ATOMIC_REQUESTS the 401 would roll back the view's transaction; the refresh view
    # opts out, so the revocation must still be there afterwards.
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    r1 = login(api_client, employee, password)["refresh"]
    r2 = refresh(api_client, r1).json()["refresh"]

    assert refresh(api_client, r1).status_code == 401

    assert BlacklistedToken.objects.filter(
        token__jti=RefreshToken(r2, verify=False)["jti"]
    ).exists()
    assert refresh(api_client, r2).status_code == 401


def test_a_forged_or_unknown_token_revokes_nothing(api_client, employee, password):
    tokens = login(api_client, employee, password)
    forged = tokens["refresh"][:-4] + ("AAAA" if not tokens["refresh"].endswith("AAAA") else "BBBB")

    assert refresh(api_client, forged).status_code == 401
    assert refresh(api_client, "garbage").status_code == 401
    assert refresh(api_client, tokens["refresh"]).status_code == 200


def test_a_token_revoked_by_a_password_change_is_not_reported_as_reuse(
    api_client_for, api_client, employee, password, caplog
):
    tokens = login(api_client, employee, password)
    time.sleep(1.1)  # iat has one-second resolution
    changed = api_client_for(employee).post(
        "/api/v1/auth/password/",
        {"old_password": password, "new_password": "a-brand-new-Passphrase-42"},
        format="json",
    )
    assert changed.status_code == 204

    with caplog.at_level(logging.WARNING, logger="accounts.security"):
        response = refresh(api_client, tokens["refresh"])

    assert response.status_code == 401
    assert "already used" not in response.json()["detail"]
    assert not [r for r in caplog.records if r.name == "accounts.security"]


@pytest.mark.django_db
def test_family_revoke_leaves_other_families_and_users_alone(employee, teammate):
    mine = [issue(employee, "aaa"), issue(employee, "aaa")]
    other_login = issue(employee, "bbb")
    teammates = issue(teammate, "aaa")

    assert refresh_token_family_revoke(user_id=employee.pk, family="aaa") == 2

    revoked = set(BlacklistedToken.objects.values_list("token__jti", flat=True))
    assert revoked == {t["jti"] for t in mine}
    assert other_login["jti"] not in revoked and teammates["jti"] not in revoked
    assert refresh_token_family_revoke(user_id=employee.pk, family="aaa") == 0
