"""/scim/v2/ over a real socket, as an identity provider reaches it: requests, a bearer token,
application/scim+json."""

import requests

SCIM_JSON = {"Content-Type": "application/scim+json"}


def test_an_identity_provider_provisions_over_http(live_server, scim_token):
    base = f"{live_server.url}/scim/v2"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {scim_token}"

    created = session.post(
        f"{base}/Users",
        json={"userName": "live.user@example.com", "name": {"givenName": "Live"}},
        headers=SCIM_JSON,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"].startswith("application/scim+json")
    user_id = created.json()["id"]
    assert created.headers["Location"] == f"{base}/Users/{user_id}"

    group = session.post(
        f"{base}/Groups",
        json={"displayName": "Live team", "members": [{"value": user_id}]},
        headers=SCIM_JSON,
        timeout=10,
    )
    assert group.status_code == 201
    assert group.json()["members"][0]["value"] == user_id

    found = session.get(
        f"{base}/Users", params={"filter": 'userName eq "live.user@example.com"'}, timeout=10
    )
    assert found.json()["Resources"][0]["groups"][0]["display"] == "Live team"

    deactivated = session.patch(
        f"{base}/Users/{user_id}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
        headers=SCIM_JSON,
        timeout=10,
    )
    assert deactivated.json()["active"] is False

    anonymous = requests.get(f"{base}/Users", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="scim"'
