"""SAML attributes read as claims, with no database or IdP."""

from sso.saml import claims_from_attributes

GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
MAPPING = {
    "email": ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "mail"],
    "first_name": ["givenName"],
    "last_name": ["sn"],
    "username": [],
}


def test_it_takes_the_first_present_attribute_and_exact_team_and_role_names():
    claims = claims_from_attributes(
        {
            "mail": ["ada@example.com", "ada.l@example.com"],
            "givenName": ["  Ada "],
            "sn": [],
            GROUPS: ["Atlas", " ", "everyone"],
            "roles": "manager",
        },
        subject="n-1",
        team_attribute=GROUPS,
        role_attribute="roles",
        email_verified=False,
        **MAPPING,
    )

    assert claims == {
        "sub": "n-1",
        "email_verified": False,
        "email": "ada@example.com",
        "given_name": "Ada",
        "team": ["Atlas", "everyone"],
        "role": ["manager"],
    }


def test_team_and_role_are_absent_when_not_configured_and_empty_when_not_sent():
    unset = claims_from_attributes(
        {GROUPS: ["Atlas"]},
        subject="n-2",
        team_attribute="",
        role_attribute="",
        email_verified=True,
        **MAPPING,
    )
    unsent = claims_from_attributes(
        {},
        subject="n-2",
        team_attribute=GROUPS,
        role_attribute="roles",
        email_verified=True,
        **MAPPING,
    )

    assert "team" not in unset and "role" not in unset
    assert (unsent["team"], unsent["role"]) == ([], [])
