"""Reading a SAML identity: its attributes translated into the OpenID Connect claims that
sso.services decides on. Plain functions of the attributes, no database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings


def _values(attributes: Mapping[str, Any], name: str) -> list[str]:
    """An attribute's non-empty string values; SAML names are matched exactly (they contain
    dots and slashes, so they are never read as nested paths)."""
    value = attributes.get(name)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _first(attributes: Mapping[str, Any], names: list[str]) -> str | None:
    for name in names:
        values = _values(attributes, name)
        if values:
            return values[0]
    return None


def claims_from_attributes(
    attributes: Mapping[str, Any],
    *,
    subject: str,
    email: list[str],
    first_name: list[str],
    last_name: list[str],
    username: list[str],
    team_attribute: str,
    role_attribute: str,
    email_verified: bool,
) -> dict[str, Any]:
    """The claims an OpenID provider would send for this person.

    ``subject`` is allauth's uid for the identity (the uid attribute, else the NameID). The
    attribute lists name where each field may come from, first present wins. Team and role
    values go under ``team`` and ``role``, the claim names sso.selectors.saml_rules reads.
    """
    claims: dict[str, Any] = {"sub": subject, "email_verified": email_verified}
    for claim, names in (
        ("email", email),
        ("given_name", first_name),
        ("family_name", last_name),
        ("preferred_username", username),
    ):
        value = _first(attributes, names)
        if value is not None:
            claims[claim] = value
    if team_attribute:
        claims["team"] = _values(attributes, team_attribute)
    if role_attribute:
        claims["role"] = _values(attributes, role_attribute)
    return claims


def configured_claims(attributes: Mapping[str, Any], *, subject: str) -> dict[str, Any]:
    """``claims_from_attributes`` with the deployment's SAML_* attribute settings."""
    return claims_from_attributes(
        attributes,
        subject=subject,
        email=settings.SAML_ATTRIBUTE_EMAIL,
        first_name=settings.SAML_ATTRIBUTE_FIRST_NAME,
        last_name=settings.SAML_ATTRIBUTE_LAST_NAME,
        username=settings.SAML_ATTRIBUTE_USERNAME,
        team_attribute=settings.SAML_TEAM_ATTRIBUTE,
        role_attribute=settings.SAML_ROLE_ATTRIBUTE,
        email_verified=settings.SAML_EMAIL_VERIFIED,
    )
