"""The provider's discovery document, fetched server-side and cached briefly."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_SECONDS = 3600


def provider_configuration() -> dict[str, Any] | None:
    """The OpenID provider metadata, or None when sign-in is off or the provider is down."""
    server_url = settings.OIDC_SERVER_URL
    if not server_url:
        return None
    url = server_url
    if "/.well-known/" not in url:
        url += "/.well-known/openid-configuration"
    key = f"sso:discovery:{url}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached
    try:
        response = requests.get(url, timeout=settings.SOCIALACCOUNT_REQUESTS_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("Company sign-in: discovery at %s failed: %s", url, exc)
        return None
    if not isinstance(document, dict):
        return None
    cache.set(key, document, CACHE_SECONDS)
    return document


def end_session_url(*, post_logout_redirect_uri: str) -> str | None:
    """Where to send someone to sign out at the provider too (OpenID Connect RP-Initiated
    Logout 1.0), or None when the provider offers no end_session_endpoint.

    The client_id names us instead of an id_token_hint (not kept after sign-in), so the
    provider may ask the person to confirm.
    """
    configuration = provider_configuration()
    endpoint = (configuration or {}).get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = urlencode(
        {"client_id": settings.OIDC_CLIENT_ID, "post_logout_redirect_uri": post_logout_redirect_uri}
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
