"""django-allauth hooks: accounts come from sso.services only, errors use our pages."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render

from accounts.models import User

from . import saml, services
from .claims import merged_claims

logger = logging.getLogger(__name__)

AUTH_ERROR_MESSAGES = {
    AuthError.CANCELLED: "Sign-in was cancelled at your company's sign-in page.",
    AuthError.DENIED: "Your company's sign-in page refused the request.",
}
AUTH_ERROR_DEFAULT = (
    "Your company's sign-in could not be completed: its answer was missing, expired or not "
    "meant for Resonance. Try again; if it keeps failing, tell your administrator."
)


def refusal_page(request: HttpRequest, message: str, *, status: int) -> ImmediateHttpResponse:
    response = render(
        request,
        "sso/refused.html",
        {"status_code": status, "error_message": message},
        status=status,
    )
    return ImmediateHttpResponse(response)


class NoSignupAccountAdapter(DefaultAccountAdapter):
    """allauth's own sign-up is closed: company accounts are made by sso.services."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class CompanySocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Runs after allauth has checked the ID token (issuer, audience, expiry) or the SAML
        response (signature, audience, validity, destination) and looked up the identity by
        its subject; decides the account, or answers 403."""
        linked = sociallogin.user if sociallogin.is_existing else None
        account = sociallogin.account
        claims = (
            saml.configured_claims(account.extra_data, subject=account.uid)
            if account.provider == settings.SAML_PROVIDER_ID
            else merged_claims(account.extra_data)
        )
        try:
            with transaction.atomic():
                user, link = services.company_user_resolve(
                    linked_user=linked if isinstance(linked, User) else None,
                    provider_id=account.provider,
                    claims=claims,
                )
                if link:
                    sociallogin.connect(request, user)
        except services.SignInRefused as exc:
            raise refusal_page(request, exc.message, status=exc.status_code) from exc
        sociallogin.user = user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        logger.warning("Company sign-in failed: error=%s exception=%r", error, exception)
        message = AUTH_ERROR_MESSAGES.get(str(error), AUTH_ERROR_DEFAULT)
        status = 400 if error == AuthError.CANCELLED else 401
        raise refusal_page(request, message, status=status)
