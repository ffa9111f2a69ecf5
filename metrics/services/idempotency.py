"""The same submission sent twice is one check-in: ``Idempotency-Key`` on the API, a hidden key
on the page's form. Within ``IDEMPOTENCY_WINDOW`` a repeated key from the same person returns
the check-in the first request stored; after it the key may be used again."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from resonance.exceptions import DomainError

from ..models import CheckIn

IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
_KEY = re.compile(r"^[A-Za-z0-9._:~-]{8,64}$")


class BadIdempotencyKey(DomainError):
    code = "bad_idempotency_key"


def clean_idempotency_key(raw: str | None) -> str:
    """The key as sent ("" when none); a malformed one is a 400 that says what is expected."""
    if raw is None or raw == "":
        return ""
    if not _KEY.match(raw):
        raise BadIdempotencyKey(
            "Idempotency-Key must be 8 to 64 letters, digits or . _ : ~ - (a UUID will do)."
        )
    return raw


def _recent(user: User, key: str) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(
        user=user, idempotency_key=key, created_at__gte=timezone.now() - IDEMPOTENCY_WINDOW
    )


def checkin_replayed(*, user: User, idempotency_key: str) -> CheckIn | None:
    """The check-in ``user`` stored under this key in the last 24 hours, if any."""
    if not idempotency_key:
        return None
    return _recent(user, idempotency_key).first()


def idempotency_key_release_expired(*, user: User, idempotency_key: str) -> None:
    """Free a key last used more than 24 hours ago, so it may name a new check-in."""
    if idempotency_key:
        CheckIn.objects.filter(
            user=user,
            idempotency_key=idempotency_key,
            created_at__lt=timezone.now() - IDEMPOTENCY_WINDOW,
        ).update(idempotency_key="")
