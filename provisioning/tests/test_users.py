"""Details of people provisioning: what a repeated update does, and the admin's view."""

import pytest
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from provisioning.models import ProvisioningEvent, ScimToken

OKTA_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "pat@okta.local",
    "name": {"givenName": "Pat", "familyName": "Lee"},
    "emails": [{"primary": True, "value": "pat@okta.local", "type": "work"}],
    "password": "first-Pa55word",
    "timezone": "America/New_York",
    "active": True,
}


def test_a_repeated_put_changes_nothing_and_leaves_no_trace(scim):
    user_id = scim.post("/scim/v2/Users", OKTA_USER).json()["id"]
    user = User.objects.get(pk=user_id)
    refresh = RefreshToken.for_user(user)

    again = scim.put(f"/scim/v2/Users/{user_id}", OKTA_USER)

    assert again.status_code == 200
    assert list(ProvisioningEvent.objects.values_list("action", flat=True)) == ["user_created"]
    # The same password again is not a new password: the person stays signed in.
    assert not OutstandingToken.objects.filter(
        jti=refresh["jti"], blacklistedtoken__isnull=False
    ).exists()


def test_a_new_password_signs_the_person_out_of_api_clients(scim):
    user_id = scim.post("/scim/v2/Users", OKTA_USER).json()["id"]
    refresh = RefreshToken.for_user(User.objects.get(pk=user_id))

    scim.put(f"/scim/v2/Users/{user_id}", {**OKTA_USER, "password": "second-Pa55word"})

    user = User.objects.get(pk=user_id)
    assert user.check_password("second-Pa55word")
    assert OutstandingToken.objects.filter(
        jti=refresh["jti"], blacklistedtoken__isnull=False
    ).exists()
    event = ProvisioningEvent.objects.get(action="user_updated")
    assert event.detail == "password"


def test_a_provisioned_person_is_an_employee_without_consent(scim):
    user = User.objects.get(pk=scim.post("/scim/v2/Users", OKTA_USER).json()["id"])

    assert user.role == User.Role.EMPLOYEE
    assert user.biometric_consent_at is None  # consent is the person's to give
    assert user.time_zone == "America/New_York"
    assert user.team is None


def test_admins_see_tokens_and_the_trail_and_can_revoke(scim, client, admin_user):
    scim.post("/scim/v2/Users", OKTA_USER)
    client.force_login(admin_user)

    tokens = client.get(reverse("admin:provisioning_scimtoken_changelist"))
    trail = client.get(reverse("admin:provisioning_provisioningevent_changelist"))
    revoke = client.post(
        reverse("admin:provisioning_scimtoken_changelist"),
        {"action": "revoke", "_selected_action": [ScimToken.objects.get().pk]},
    )

    assert tokens.status_code == 200 and b"entra-id" in tokens.content
    assert trail.status_code == 200 and b"pat@okta.local" in trail.content
    assert revoke.status_code == 302
    assert scim.get("/scim/v2/Users").status_code == 401


@pytest.mark.parametrize(
    "path", ["/scim/v2/Users", "/scim/v2/Users/", "/scim/v2//Users", "/scim/v2//Users/"]
)
def test_a_base_url_given_with_a_trailing_slash_still_reaches_the_endpoints(scim, path):
    created = scim.post(
        "/scim/v2/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "slash@example.com",
            "emails": [{"value": "slash@example.com", "primary": True}],
        },
    )
    assert created.status_code == 201

    listed = scim.get(path)
    one = scim.get(f"{path.rstrip('/')}/{created.json()['id']}/")

    assert listed.status_code == 200
    assert listed.json()["totalResults"] == 1
    assert one.status_code == 200
    assert one.json()["userName"] == "slash@example.com"
