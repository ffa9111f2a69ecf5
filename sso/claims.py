"""Reading an OpenID Connect identity: plain functions of the claims, no database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accounts.models import TIME_ZONE_CHOICES, User

_VALID_TIME_ZONES = {name for name, _ in TIME_ZONE_CHOICES}
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length or 150


def merged_claims(extra_data: Mapping[str, Any]) -> dict[str, Any]:
    """The ID token's claims overlaid with the UserInfo response (allauth keeps both).

    UserInfo is fetched with the access token from the provider itself, so it wins where both
    name a claim; the ID token alone still counts for claims some providers put only there.
    """
    claims: dict[str, Any] = {}
    for part in ("id_token", "userinfo"):
        value = extra_data.get(part)
        if isinstance(value, Mapping):
            claims.update(value)
    return claims


def claim_values(claims: Mapping[str, Any], name: str) -> list[str]:
    """A claim as a list of non-empty strings: a string, a list of strings, or nothing.

    ``name`` may be a dotted path into nested objects (``resource_access.resonance.roles``).
    """
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def email_is_verified(claims: Mapping[str, Any]) -> bool:
    """True only when the provider says so explicitly (some send the string "true")."""
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.lower() == "true")


def role_from_claims(
    claims: Mapping[str, Any],
    *,
    claim: str,
    manager_values: list[str],
    admin_values: list[str],
) -> str | None:
    """The role the claim grants, or None when no role claim is configured.

    Admin wins over manager; a configured claim that matches neither makes an employee, so
    removing someone from the manager group at the provider takes the role away here too.
    """
    if not claim:
        return None
    values = set(claim_values(claims, claim))
    if values & set(admin_values):
        return User.Role.ADMIN
    if values & set(manager_values):
        return User.Role.MANAGER
    return User.Role.EMPLOYEE


def username_candidates(claims: Mapping[str, Any]) -> list[str]:
    """Usernames to try for a new account, most readable first; the last always exists."""
    raw = [claims.get("preferred_username"), str(claims.get("email") or "").split("@")[0]]
    found = []
    for value in raw:
        if isinstance(value, str):
            cleaned = _USERNAME_UNSAFE.sub("", value)[:USERNAME_MAX_LENGTH]
            if cleaned and cleaned not in found:
                found.append(cleaned)
    found.append("sso-" + re.sub(r"\W", "", str(claims.get("sub", "")))[: USERNAME_MAX_LENGTH - 4])
    return found


def profile_fields(claims: Mapping[str, Any]) -> dict[str, str]:
    """Name, email and time zone as the provider states them, limited to what fits."""
    fields: dict[str, str] = {}
    for claim, field in (("given_name", "first_name"), ("family_name", "last_name")):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            fields[field] = value.strip()[:150]
    email = claims.get("email")
    if isinstance(email, str) and "@" in email:
        fields["email"] = email.strip()[:254]
    zone = claims.get("zoneinfo")
    if isinstance(zone, str) and zone in _VALID_TIME_ZONES:
        fields["time_zone"] = zone
    return fields
