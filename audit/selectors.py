"""Reads of the access log. A person sees only the events about themselves."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from .models import AccessEvent

EXPORT_FIELDS = ("actor_username", "actor_role", "action", "detail", "at")


def events_about(user: AbstractBaseUser, limit: int | None = 100) -> QuerySet[AccessEvent]:
    """Events whose subject is ``user``, newest first (``limit=None``: all of them)."""
    events = AccessEvent.objects.filter(subject_id=user.pk).order_by("-at", "-pk")
    return events if limit is None else events[:limit]


def access_log_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """Every event about ``user`` as plain JSON-ready values, oldest first."""
    return [
        {**row, "at": row["at"].isoformat()}
        for row in events_about(user, limit=None).reverse().values(*EXPORT_FIELDS)
    ]
