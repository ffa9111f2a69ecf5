"""Reads of published team figures from a streaming replica, where one is configured.

Only code that asks for it reads from the replica: the team pages wrap their work in
``replica_reads()`` (or the ``reads_from_replica`` decorator), and even then only the models of
the apps that hold team figures (``REPLICA_APPS``) are read there. Users, sessions, consent and
everything personal stay on the primary, so signing in and then opening the dashboard never
depends on how far the replica lags; every write goes to the primary.

A replica replays the primary's log with some delay (usually milliseconds): what the team
pages show is published hourly and frozen once published, so a lagging replica shows the
previous hour's figures at worst, never a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import models

REPLICA = "replica"
REPLICA_APPS = frozenset({"teams", "alerts"})

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within this block, reads of team figures go to the replica (when one is configured)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """A view whose reads of team figures go to the replica."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Send reads of ``REPLICA_APPS`` models to the replica inside ``replica_reads()``."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        if (
            _reading_from_replica.get()
            and model._meta.app_label in REPLICA_APPS
            and replica_configured()
        ):
            return REPLICA
        return None

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
