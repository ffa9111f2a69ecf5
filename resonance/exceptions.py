"""One JSON error shape for the whole API: ``{"detail": ..., "errors": {...}}``."""

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused the request; carries a readable message and an HTTP status."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}  # more fields of the JSON answer (e.g. what to reload)
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed login attempts. Try again later."
    default_code = "locked_out"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
        return Response(body, status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, dict) and "non_field_errors" in data and len(data) == 1:
            detail = " ".join(str(m) for m in data["non_field_errors"])
        else:
            detail = "Some fields are invalid; see 'errors'."
        response.data = {"detail": detail, "errors": data}
    elif isinstance(exc, exceptions.UnsupportedMediaType) and context.get("view") is not None:
        accepted = [parser.media_type for parser in context["view"].get_parsers()]
        response.data = {"detail": f"{exc.detail} Send one of: {', '.join(accepted)}."}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": str(response.data)}
    return response
