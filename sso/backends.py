"""Password sign-in policy, placed before ModelBackend in AUTHENTICATION_BACKENDS."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User

from .selectors import password_sign_in_allowed


class LocalPasswordPolicy:
    """Stops password sign-in (web form, admin, JWT token endpoint) for accounts that must use
    company sign-in; authenticates nobody itself.

    Raising PermissionDenied ends Django's backend chain, so ModelBackend never checks the
    password. It has no ``get_user`` on purpose: django-allauth picks the first backend that
    has one to keep a company sign-in's session, and that must stay ModelBackend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if username is None or password is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            user = None
        if isinstance(user, User) and not password_sign_in_allowed(user):
            raise PermissionDenied("This account signs in with the company's sign-in.")
        return None
