"""Reading claims: plain functions, no database."""

from accounts.models import User
from sso.claims import (
    claim_values,
    email_is_verified,
    merged_claims,
    profile_fields,
    role_from_claims,
    username_candidates,
)


def test_userinfo_wins_over_the_id_token_and_both_count():
    extra_data = {
        "id_token": {"sub": "s1", "groups": ["Old"], "department": "R&D"},
        "userinfo": {"sub": "s1", "groups": ["Atlas"]},
    }

    assert merged_claims(extra_data) == {"sub": "s1", "groups": ["Atlas"], "department": "R&D"}


def test_claim_values_reads_strings_lists_and_dotted_paths():
    claims = {
        "department": " Atlas ",
        "groups": ["a", "", 3, "b"],
        "resource_access": {"resonance": {"roles": ["manager"]}},
    }

    assert claim_values(claims, "department") == ["Atlas"]
    assert claim_values(claims, "groups") == ["a", "b"]
    assert claim_values(claims, "resource_access.resonance.roles") == ["manager"]
    assert claim_values(claims, "missing") == []
    assert claim_values(claims, "department.deeper") == []


def test_only_an_explicit_verified_flag_counts():
    assert email_is_verified({"email_verified": True})
    assert email_is_verified({"email_verified": "true"})
    assert not email_is_verified({"email_verified": False})
    assert not email_is_verified({"email_verified": "yes"})
    assert not email_is_verified({"email": "a@example.com"})


def test_roles_come_from_the_claim_only_when_one_is_configured():
    claims = {"groups": ["staff", "leads", "it-admins"]}
    kwargs = {"manager_values": ["leads"], "admin_values": ["it-admins"]}

    assert role_from_claims(claims, claim="", **kwargs) is None
    assert role_from_claims(claims, claim="groups", **kwargs) == User.Role.ADMIN
    assert role_from_claims({"groups": ["leads"]}, claim="groups", **kwargs) == User.Role.MANAGER
    assert role_from_claims({"groups": ["staff"]}, claim="groups", **kwargs) == User.Role.EMPLOYEE


def test_username_candidates_are_clean_and_end_with_one_made_from_the_subject():
    claims = {"sub": "00u1-ab", "preferred_username": "ada lovelace", "email": "ada@x.org"}

    assert username_candidates(claims) == ["adalovelace", "ada", "sso-00u1ab"]
    assert username_candidates({"sub": "x"}) == ["sso-x"]


def test_profile_fields_keep_only_what_is_valid():
    claims = {
        "given_name": "Ada",
        "family_name": " ",
        "email": "not-an-address",
        "zoneinfo": "Mars/Olympus",
    }

    assert profile_fields(claims) == {"first_name": "Ada"}
    assert profile_fields({"zoneinfo": "Europe/Paris"}) == {"time_zone": "Europe/Paris"}
