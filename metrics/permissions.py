"""Who may use the check-in endpoints and pages: employees, each only with their own data."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from accounts import permissions
from accounts.requests import AuthenticatedHttpRequest

from .errors import EMPLOYEES_ONLY_MESSAGE

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


class IsEmployee(permissions.IsEmployee):
    message = EMPLOYEES_ONLY_MESSAGE


def employee_required(
    view: Callable[Concatenate[AuthenticatedHttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """Page decorator: sign-in required (redirect), then employees only (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        # login_required has sent anonymous visitors to the login page before this runs.
        signed_in = cast(AuthenticatedHttpRequest, request)
        if not signed_in.user.is_employee:
            raise PermissionDenied(EMPLOYEES_ONLY_MESSAGE)
        return view(signed_in, *args, **kwargs)

    return wrapped
