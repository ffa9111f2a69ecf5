"""The request sequences Microsoft Entra ID and Okta send, replayed through the whole HTTP stack.

Each fixture in ``fixtures/`` is a list of steps: a request (``{name}`` placeholders are ids
captured from earlier answers), the status expected, and the parts of the answer that must
match (``expect``: objects match on the keys given, lists element by element and in full).
"""

import json
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from provisioning.models import ProvisionedGroup, ProvisionedUser, ProvisioningEvent
from teams.models import Team

FIXTURES = Path(__file__).parent / "fixtures"


def _fill(value: Any, ids: dict[str, str]) -> Any:
    text = json.dumps(value)
    for name, found in ids.items():
        text = text.replace("{" + name + "}", found)
    return json.loads(text)


def _matches(expected: Any, actual: Any, where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is missing from {actual!r}"
            _matches(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{where}: expected {len(expected)} items, got {actual!r}"
        )
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            _matches(want, got, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def replay(scim, fixture: str) -> dict[str, str]:
    """Run every step of ``fixture``; returns the ids it captured."""
    steps = json.loads((FIXTURES / fixture).read_text())["steps"]
    ids: dict[str, str] = {}
    for step in steps:
        response = scim.request(
            step["method"], _fill(step["path"], ids), _fill(step.get("body"), ids)
        )
        label = f"{fixture}: {step['name']}"
        assert response.status_code == step["status"], (label, response.content[:500])
        if response.status_code == 204:
            assert response.content == b"", label
            continue
        assert response["Content-Type"].startswith("application/scim+json"), label
        document = response.json()
        _matches(_fill(step.get("expect", {}), ids), document, label)
        for name in step.get("absent", []):
            assert name not in document, f"{label}: {name} should not be returned"
        for name, key in step.get("capture", {}).items():
            ids[name] = document[key]
    return ids


def test_it_follows_entra_ids_user_sequence(scim):
    ids = replay(scim, "entra_users.json")

    user = User.objects.get(pk=ids["user"])
    # Deleted in SCIM, kept in Resonance: inactive, out of SCIM, with every attribute set.
    assert user.is_active is False
    assert user.username == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    assert user.email == "updatedEmail@microsoft.com"
    assert (user.first_name, user.last_name) == ("Rita", "updatedFamilyName")
    assert user.time_zone == "Europe/London"
    assert user.role == User.Role.EMPLOYEE
    assert user.biometric_consent_at is None
    assert not user.has_usable_password()
    link = ProvisionedUser.objects.get(user=user)
    assert link.external_id == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert link.released_at is not None
    actions = list(
        ProvisioningEvent.objects.filter(user=user)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "user_created",
        "user_updated",  # emails, name.familyName
        "user_updated",  # userName
        "user_updated",  # timezone (the ignored attributes leave no trace)
        "user_deactivated",
        "user_reactivated",
        "user_updated",  # name.givenName
        "user_deactivated",
        "user_reactivated",
        "user_deactivated",
        "user_deleted",
    ]


def test_it_follows_oktas_user_sequence(scim):
    ids = replay(scim, "okta_users.json")

    user = User.objects.get(pk=ids["user"])
    assert user.is_active is False
    assert user.first_name == "Another"
    # Okta may push a password; it is stored hashed and works for a password sign-in.
    assert user.check_password("1mz050nq")
    assert ProvisionedUser.objects.get(user=user).external_id == "00ujl29u0le5T6Aj10h7"


def test_it_follows_entra_ids_group_sequence(scim):
    ids = replay(scim, "entra_groups.json")

    team = Team.objects.get(pk=ids["group"])
    # Deleted in SCIM: the team stays (with its published history), without members.
    assert team.name == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    assert not team.members.exists()
    assert ProvisionedGroup.objects.get(team=team).released_at is not None
    assert User.objects.get(pk=ids["a"]).team is None
    assert User.objects.get(pk=ids["b"]).team is None
    assert ProvisioningEvent.objects.filter(team=team, action="member_removed").count() == 2


def test_it_follows_oktas_group_sequence(scim):
    ids = replay(scim, "okta_groups.json")

    team = Team.objects.get(pk=ids["group"])
    assert team.name == "Test SCIMv2 Updated"
    assert not team.members.exists()
    assert User.objects.filter(pk__in=[ids["a"], ids["b"]], is_active=True).count() == 2


@pytest.mark.parametrize(
    "fixture", ["entra_users.json", "okta_users.json", "entra_groups.json", "okta_groups.json"]
)
def test_a_revoked_token_stops_every_step(scim, fixture):
    from provisioning.services import scim_token_revoke

    scim_token_revoke(name="entra-id")
    first = json.loads((FIXTURES / fixture).read_text())["steps"][0]

    response = scim.request(first["method"], first["path"], first.get("body"))

    assert response.status_code == 401
    assert User.objects.count() == 0
