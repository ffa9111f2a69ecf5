"""Signing out of Resonance also signs out at the company's provider."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .discovery import end_session_url

# Set in the session by sso.handlers when a company sign-in completes.
SIGNED_IN_WITH_PROVIDER = "sso_provider"


class ProviderLogoutMiddleware:
    """After a successful sign-out of someone who came through the provider, redirect to the
    provider's end_session_endpoint instead of the sign-in page (OIDC_PROVIDER_LOGOUT).

    Wraps the project's own logout view (accounts:logout) rather than replacing it, so the
    local session always ends first, even when the provider cannot be reached.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path != reverse("accounts:logout"):
            return self.get_response(request)
        # Only the OpenID provider has an end_session_endpoint to send people to.
        came_through_provider = (
            request.session.get(SIGNED_IN_WITH_PROVIDER) == settings.OIDC_PROVIDER_ID
        )
        response = self.get_response(request)
        signed_out = not request.user.is_authenticated
        if not (came_through_provider and signed_out and settings.OIDC_PROVIDER_LOGOUT):
            return response
        if response.status_code not in (301, 302, 303):
            return response
        target = end_session_url(
            post_logout_redirect_uri=request.build_absolute_uri(reverse("accounts:login"))
        )
        return HttpResponseRedirect(target) if target else response
