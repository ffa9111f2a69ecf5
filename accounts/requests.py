"""Request types whose user has signed in, for type checking views.

django-stubs types ``request.user`` as ``User | AnonymousUser``. A view behind a sign-in check
(``login_required``, an app's role decorator, DRF's ``IsAuthenticated`` or a role permission)
only ever sees a signed-in user: annotating its request with one of these says so. At run time
the request is the usual ``HttpRequest`` or DRF ``Request``.
"""

from django.http import HttpRequest
from rest_framework.request import Request

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A page's request once sign-in (and any role check) has let it through."""

    user: User


class AuthenticatedRequest(Request):
    """An API view's request once its authenticating permission has let it through."""

    user: User
