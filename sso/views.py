"""SAML routes that need more than allauth gives them."""

from __future__ import annotations

import logging

from allauth.socialaccount.providers.saml import views as saml_views
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from lxml.etree import XMLSyntaxError

from .adapters import AUTH_ERROR_DEFAULT, refusal_page

logger = logging.getLogger(__name__)

IDP_METADATA_UNREACHABLE = (
    "The company sign-in service cannot be reached just now. Try again in a few minutes, or "
    "sign in another way; if it persists, tell your administrator."
)


def _idp_metadata_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    # The operator reads the cause in the log; the person gets words they can act on.
    logger.warning("SAML identity provider metadata could not be read: %s", error)
    return refusal_page(request, IDP_METADATA_UNREACHABLE, status=503).response


def saml_login(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's SAML login; with SAML_IDP_METADATA_URL it reads the IdP's metadata first
    (cached), and an unreachable or broken metadata document answers 503, not 500."""
    try:
        response: HttpResponse = saml_views.login(request, organization_slug=organization_slug)
    except (OSError, XMLSyntaxError) as error:
        return _idp_metadata_unavailable(request, error)
    return response


def saml_metadata(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The SP metadata (built with the IdP's settings, hence the same guard as the login)."""
    try:
        response: HttpResponse = saml_views.metadata(request, organization_slug=organization_slug)
    except (OSError, XMLSyntaxError) as error:
        return _idp_metadata_unavailable(request, error)
    return response


@csrf_exempt
def saml_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's ACS stores whatever is posted and redirects before looking up the app; with
    SAML not configured it answers 404 like the other routes instead."""
    get_app_or_404(request, organization_slug)
    response: HttpResponse = saml_views.acs(request, organization_slug=organization_slug)
    return response


def saml_finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's end of the ACS; a Response that answers no sign-in this browser started (one
    posted again, or from another browser) gets the sign-in error page instead of a bare 403."""
    try:
        response: HttpResponse = saml_views.finish_acs(request, organization_slug=organization_slug)
    except PermissionDenied:
        return refusal_page(request, AUTH_ERROR_DEFAULT, status=401).response
    return response


@csrf_exempt
def saml_sls(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """Single logout from the IdP (HTTP-Redirect binding), for signed messages only.

    python3-saml checks a signature when there is one, but only asks for one when Responses
    must be signed too (wantMessagesSigned); an unsigned LogoutRequest would let any page
    sign people out of Resonance.
    """
    get_app_or_404(request, organization_slug)
    if "Signature" not in request.GET:
        return HttpResponseBadRequest("Single logout messages must be signed.")
    response: HttpResponse = saml_views.sls(request, organization_slug=organization_slug)
    return response
