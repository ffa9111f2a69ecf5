"""One per-user rate limit shared by the excuse API and page (DRF scope "excuse")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

SCOPE = "excuse"


class ExcuseRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` that reads the rate when asked, so a changed setting applies."""

    def get_rate(self) -> str | None:
        # DRF's stubs type the rates as numbers; they are strings such as "30/hour".
        rates = cast("Mapping[str | None, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        try:
            return rates[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}.") from exc


class _Scope:
    throttle_scope = SCOPE


def seconds_until_allowed(request: HttpRequest | Request) -> float | None:
    """Count one generation for ``request.user``; None if allowed, else seconds to wait.

    Works for both DRF and plain Django requests: the cache key is the user's id, so the page
    and the API draw on the same allowance.
    """
    throttle = ExcuseRateThrottle()
    # The throttle reads only the user, the client address and the view's ``throttle_scope``,
    # which a plain Django request and ``_Scope`` provide; the stubs ask for DRF's own types.
    if throttle.allow_request(request, _Scope()):  # type: ignore[arg-type]
        return None
    return max(throttle.wait() or 1.0, 1.0)
