"""Who a company sign-in signs in: matching, creating and updating accounts from claims.

Every provider goes through here: OpenID Connect hands over its claims, SAML its attributes
translated into the same claims (sso.saml); each provider's settings come as SignInRules."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.db import transaction

from accounts.models import User
from resonance.exceptions import DomainError
from teams.models import Team

from .claims import (
    USERNAME_MAX_LENGTH,
    claim_values,
    email_is_verified,
    profile_fields,
    role_from_claims,
    username_candidates,
)
from .selectors import SignInRules, sign_in_rules

logger = logging.getLogger(__name__)

TEAM_NAME_MAX_LENGTH = Team._meta.get_field("name").max_length or 120


class SignInRefused(DomainError):
    """The provider vouched for someone this deployment does not let in; the message says why."""

    status_code = 403
    code = "sign_in_refused"


@transaction.atomic
def company_user_resolve(
    *, linked_user: User | None, provider_id: str, claims: Mapping[str, Any]
) -> tuple[User, bool]:
    """The account a verified identity signs in to, and whether it is to be linked now.

    ``linked_user`` is the account already linked to the provider's subject (``sub``), which
    always wins. Otherwise an account with the same address is linked, only when the provider
    marks the address verified and the account is neither staff nor linked to another identity
    of this provider; otherwise a new employee account is created (``create_users`` of the
    provider's rules). Team and role are then updated from the claims (``user_apply_claims``).
    Raises ``SignInRefused`` (nothing written) for a deactivated account, an address that
    belongs to an account the provider cannot vouch for, or an unknown person when creating
    is off.
    """
    rules = sign_in_rules(provider_id)
    link = linked_user is None
    user = (
        linked_user
        or _matched_by_email(provider_id=provider_id, claims=claims, rules=rules)
        or _created(claims=claims, rules=rules)
    )
    if not user.is_active:
        raise SignInRefused(
            "Your Resonance account is deactivated. Ask your administrator to reactivate it."
        )
    user_apply_claims(user=user, claims=claims, rules=rules)
    return user, link


def _matched_by_email(
    *, provider_id: str, claims: Mapping[str, Any], rules: SignInRules
) -> User | None:
    email = profile_fields(claims).get("email")
    if not email:
        return None
    same_address = list(User.objects.filter(email__iexact=email)[:2])
    if not same_address:
        return None
    if not (rules.match_verified_email and email_is_verified(claims)):
        # Linking on an address the provider has not verified would let anyone who can set
        # that address at the provider take the account over.
        raise SignInRefused(
            f"An account with the address {email} already exists, and your company account "
            "does not confirm that address as verified. Ask your administrator to link them."
        )
    if len(same_address) > 1:
        raise SignInRefused(
            f"More than one account has the address {email}. Ask your administrator to link yours."
        )
    user = same_address[0]
    if user.is_staff or user.is_superuser:
        raise SignInRefused(
            "Administrator accounts are not linked by email address. Sign in with the password, "
            "or ask another administrator to link the account."
        )
    if SocialAccount.objects.filter(user=user, provider=provider_id).exists():
        raise SignInRefused(
            f"The account with the address {email} is already linked to another company "
            "identity. Ask your administrator."
        )
    logger.info("Company sign-in linked user_id=%s by verified email.", user.pk)
    return user


def _created(*, claims: Mapping[str, Any], rules: SignInRules) -> User:
    if not rules.create_users:
        raise SignInRefused(
            "There is no Resonance account for you yet. Ask your administrator to add you."
        )
    user = User(
        username=_unused_username(username_candidates(claims)),
        role=User.Role.EMPLOYEE,
        **profile_fields(claims),
    )
    # Company accounts sign in at the provider; a local password would be a second way in.
    user.set_unusable_password()
    user.save()
    logger.info("Company sign-in created user_id=%s.", user.pk)
    return user


def _unused_username(candidates: list[str]) -> str:
    """The first candidate nobody has, else the last one with the first free number."""
    base = candidates[-1][: USERNAME_MAX_LENGTH - 8]
    numbered = (f"{base}-{n}" for n in itertools.count(2))
    return next(
        name
        for name in itertools.chain(candidates, numbered)
        if not User.objects.filter(username__iexact=name).exists()
    )


def user_apply_claims(*, user: User, claims: Mapping[str, Any], rules: SignInRules) -> User:
    """Set role and team from the configured claims; claims that are not configured or not
    sent change nothing.

    Employees join the team the claim names as members; managers are added to that team's
    managers (never removed: other teams they manage are set in admin). Superusers keep their
    role. A team name with no team is created only with ``rules.create_teams``.
    """
    role = role_from_claims(
        claims,
        claim=rules.role_claim,
        manager_values=rules.manager_values,
        admin_values=rules.admin_values,
    )
    if role is not None and role != user.role and not user.is_superuser:
        user.role = role
        user.save(update_fields=["role"])
    team = (
        _team_named(claim_values(claims, rules.team_claim), create=rules.create_teams)
        if rules.team_claim
        else None
    )
    if team is None:
        return user
    if user.role == User.Role.EMPLOYEE and user.team_id != team.pk:
        user.team = team
        user.save(update_fields=["team"])
    elif user.role == User.Role.MANAGER:
        team.managers.add(user)
    return user


def _team_named(names: list[str], *, create: bool) -> Team | None:
    if not names:
        return None
    by_name = {team.name: team for team in Team.objects.filter(name__in=names)}
    for name in names:
        if name in by_name:
            return by_name[name]
    if create:
        team, _ = Team.objects.get_or_create(name=names[0][:TEAM_NAME_MAX_LENGTH])
        return team
    logger.warning("Company sign-in: no team is named %s; team left unchanged.", names)
    return None
