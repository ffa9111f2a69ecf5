"""Who may use /scim/v2/: only an identity provider's bearer token. A signed-in person (of
any role), a person's JWT or no credentials at all get 401 with a SCIM error."""

import pytest
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

PERSONAS = ["anonymous", "employee", "manager", "admin_user"]
ENDPOINTS = [
    ("get", "scim:service-provider-config", {}),
    ("get", "scim:resource-types", {}),
    ("get", "scim:schemas", {}),
    ("get", "scim:users", {}),
    ("post", "scim:users", {}),
    ("get", "scim:user", {"user_id": "employee"}),
    ("patch", "scim:user", {"user_id": "employee"}),
    ("delete", "scim:user", {"user_id": "employee"}),
    ("get", "scim:groups", {}),
    ("get", "scim:group", {"team_id": "team"}),
    ("delete", "scim:group", {"team_id": "team"}),
]


def _url(name: str, kwargs: dict, objects: dict) -> str:
    return reverse(name, kwargs={k: objects[v].pk for k, v in kwargs.items()})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "name", "kwargs"), ENDPOINTS)
def test_a_session_opens_nothing(client, request, employee, team, persona, method, name, kwargs):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    response = client.generic(
        method.upper(),
        _url(name, kwargs, {"employee": employee, "team": team}),
        "{}",
        content_type="application/scim+json",
    )

    assert response.status_code == 401
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "Bearer" in response.json()["detail"]
    employee.refresh_from_db()
    assert employee.is_active and employee.team == team


@pytest.mark.parametrize("persona", ["employee", "admin_user"])
def test_a_persons_jwt_opens_nothing(client, request, employee, persona):
    access = RefreshToken.for_user(request.getfixturevalue(persona)).access_token

    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {access}"})

    assert response.status_code == 401
    assert response.json()["detail"] == "This token is unknown or has been revoked."


def test_the_token_opens_every_endpoint(scim, employee, team):
    for name, kwargs in [
        ("scim:service-provider-config", {}),
        ("scim:resource-types", {}),
        ("scim:schemas", {}),
        ("scim:users", {}),
        ("scim:user", {"user_id": "employee"}),
        ("scim:groups", {}),
        ("scim:group", {"team_id": "team"}),
    ]:
        response = scim.get(_url(name, kwargs, {"employee": employee, "team": team}))
        assert response.status_code == 200, name
