"""What company sign-in is configured to offer; reads settings and the database only."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from accounts.models import User


@dataclass(frozen=True)
class CompanyProvider:
    name: str
    login_url: str


def company_provider() -> CompanyProvider | None:
    """The configured OpenID provider, or None when company sign-in is off."""
    if not settings.OIDC_SERVER_URL:
        return None
    return CompanyProvider(
        name=settings.OIDC_PROVIDER_NAME,
        login_url=reverse(
            "openid_connect_login", kwargs={"provider_id": settings.OIDC_PROVIDER_ID}
        ),
    )


def local_passwords_offered() -> bool:
    """Whether the sign-in page shows the password form."""
    return bool(settings.LOCAL_PASSWORDS) or not settings.OIDC_SERVER_URL


def password_sign_in_allowed(user: User) -> bool:
    """With LOCAL_PASSWORDS=false only superusers (a way in while the provider is down) and
    members of LOCAL_PASSWORD_GROUP (service accounts of API clients) use a password."""
    if local_passwords_offered():
        return True
    return user.is_superuser or user.groups.filter(name=settings.LOCAL_PASSWORD_GROUP).exists()
