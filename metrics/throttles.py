"""Rate limits on check-ins: one budget per person for every way in (the API, the page's form,
scores sent from a device), kept in the shared cache (``CACHE_URL``)."""

from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.models import User


class CheckinSubmitThrottle(UserRateThrottle):
    """Per-user limit on submissions only; polling a status is not counted."""

    scope = "checkin"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class DeviceCheckinThrottle(UserRateThrottle):
    """Check-ins scored on a device carry no media to check: a tighter per-day limit."""

    scope = "device_checkin"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method != "POST" or not is_json(request):
            return True
        return super().allow_request(request, view)


def is_json(request: Request) -> bool:
    return (request.content_type or "").split(";")[0].strip() == "application/json"


class PhotoCheckThrottle(UserRateThrottle):
    scope = "photo_check"


class FormCheckinThrottle(CheckinSubmitThrottle):
    """The API's check-in limit applied to the page's form post (the same counter: a person
    cannot get around the API's limit by posting the form)."""

    def __init__(self, user: User) -> None:
        super().__init__()
        self.user = user

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.user.pk}


def form_checkin_wait(request: HttpRequest, user: User) -> float | None:
    """None when ``user`` may submit a check-in through the form now (and counts it), else the
    seconds to wait."""
    throttle = FormCheckinThrottle(user)
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return throttle.wait() or 0.0
