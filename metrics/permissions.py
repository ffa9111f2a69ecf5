"""Who may use the check-in endpoints and pages: employees, each only with their own data."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts import permissions

from .errors import EMPLOYEES_ONLY_MESSAGE


class IsEmployee(permissions.IsEmployee):
    message = EMPLOYEES_ONLY_MESSAGE


def employee_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Page decorator: sign-in required (redirect), then employees only (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_employee:
            raise PermissionDenied(EMPLOYEES_ONLY_MESSAGE)
        return view(request, *args, **kwargs)

    return wrapped
