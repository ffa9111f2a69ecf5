"""Subscriptions made in SsoConfig.ready."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .middleware import SIGNED_IN_WITH_PROVIDER


def remember_provider_sign_in(
    *, request: HttpRequest, sociallogin: Any = None, **kwargs: Any
) -> None:
    """allauth's user_logged_in: mark the session, so signing out also ends the provider's."""
    if sociallogin is not None:
        request.session[SIGNED_IN_WITH_PROVIDER] = sociallogin.account.provider
