"""Reads of calendar data; every function returns only the given user's rows."""

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from accounts.models import User
from resonance import indicators

from .models import CalendarConnection, CalendarDay


def connection_for(*, user: User) -> CalendarConnection | None:
    return CalendarConnection.objects.filter(user=user).first()


def calendar_days_for(
    *, user: User, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[dt.date, dict[str, Any]]:
    """The user's meeting load by day (``metrics.day_figures`` source): active day-figure
    indicators only, oldest first."""
    rows = CalendarDay.objects.filter(user=user)
    if date_from is not None:
        rows = rows.filter(date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(date__lte=date_to)
    keys = indicators.day_figure_keys()
    return {
        row["date"]: {k: row[k] for k in keys}
        for row in rows.order_by("date").values("date", *keys)
    }


def day_source(
    user: User, date_from: dt.date | None, date_to: dt.date | None
) -> dict[dt.date, dict[str, Any]]:
    """``calendar_days_for`` in the shape ``metrics.day_figures.register_day_source`` takes."""
    return calendar_days_for(user=user, date_from=date_from, date_to=date_to)


def calendar_status(*, user: User) -> dict[str, Any]:
    """What the person may see of their connection: never the password, and of the address
    only its host (a subscription URL usually carries a secret token)."""
    connection = connection_for(user=user)
    days = CalendarDay.objects.filter(user=user).count()
    if connection is None:
        return {"connected": False, "days_stored": days}
    return {
        "connected": True,
        "kind": connection.kind,
        "host": urlsplit(connection.url).hostname or "",
        "username": connection.username or "",
        "connected_at": connection.connected_at,
        "last_synced_at": connection.last_synced_at,
        "last_error": connection.last_error,
        "last_error_at": connection.last_error_at,
        "days_stored": days,
    }
