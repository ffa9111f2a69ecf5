"""What company sign-in is configured to offer; reads settings and the database only."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from accounts.models import User


@dataclass(frozen=True)
class SignInRules:
    """How one provider's identities become accounts: the claims (or SAML attributes, named
    in the claims vocabulary by sso.saml) that give team and role, and what may be created
    or linked. sso.services applies the same rules to every provider."""

    team_claim: str
    create_teams: bool
    role_claim: str
    manager_values: list[str]
    admin_values: list[str]
    create_users: bool
    match_verified_email: bool


@dataclass(frozen=True)
class CompanyProvider:
    id: str
    name: str
    login_url: str


def oidc_rules() -> SignInRules:
    return SignInRules(
        team_claim=settings.OIDC_TEAM_CLAIM,
        create_teams=settings.OIDC_CREATE_TEAMS,
        role_claim=settings.OIDC_ROLE_CLAIM,
        manager_values=settings.OIDC_MANAGER_VALUES,
        admin_values=settings.OIDC_ADMIN_VALUES,
        create_users=settings.OIDC_CREATE_USERS,
        match_verified_email=settings.OIDC_MATCH_VERIFIED_EMAIL,
    )


def saml_rules() -> SignInRules:
    # sso.saml puts the team and role attributes' values under these claim names.
    return SignInRules(
        team_claim="team" if settings.SAML_TEAM_ATTRIBUTE else "",
        create_teams=settings.SAML_CREATE_TEAMS,
        role_claim="role" if settings.SAML_ROLE_ATTRIBUTE else "",
        manager_values=settings.SAML_MANAGER_VALUES,
        admin_values=settings.SAML_ADMIN_VALUES,
        create_users=settings.SAML_CREATE_USERS,
        # SAML carries no email_verified: SAML_EMAIL_VERIFIED sets it for every identity.
        match_verified_email=True,
    )


def sign_in_rules(provider_id: str) -> SignInRules:
    """The rules of the provider that stores its identities under ``provider_id``."""
    if provider_id == settings.SAML_PROVIDER_ID:
        return saml_rules()
    return oidc_rules()


def company_providers() -> list[CompanyProvider]:
    """The configured providers, in the order of their buttons; empty when company sign-in
    is off."""
    providers = []
    if settings.OIDC_SERVER_URL:
        providers.append(
            CompanyProvider(
                id=settings.OIDC_PROVIDER_ID,
                name=settings.OIDC_PROVIDER_NAME,
                login_url=reverse(
                    "openid_connect_login", kwargs={"provider_id": settings.OIDC_PROVIDER_ID}
                ),
            )
        )
    if settings.SAML_ENABLED:
        providers.append(
            CompanyProvider(
                id=settings.SAML_PROVIDER_ID,
                name=settings.SAML_PROVIDER_NAME,
                login_url=reverse(
                    "saml_login", kwargs={"organization_slug": settings.SAML_APP_SLUG}
                ),
            )
        )
    return providers


def local_passwords_offered() -> bool:
    """Whether the sign-in page shows the password form."""
    return bool(settings.LOCAL_PASSWORDS) or not (settings.OIDC_SERVER_URL or settings.SAML_ENABLED)


def password_sign_in_allowed(user: User) -> bool:
    """With LOCAL_PASSWORDS=false only superusers (a way in while the provider is down) and
    members of LOCAL_PASSWORD_GROUP (service accounts of API clients) use a password."""
    if local_passwords_offered():
        return True
    return user.is_superuser or user.groups.filter(name=settings.LOCAL_PASSWORD_GROUP).exists()
