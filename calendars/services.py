"""Connecting a calendar, reading it into per-day meeting load, disconnecting, erasing."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from resonance.exceptions import DomainError

from .errors import CalendarFetchError
from .fetching import Limits
from .load import DayLoad, WorkingHours, day_loads, meetings_in
from .models import CalendarConnection, CalendarDay
from .sources import source_for

logger = logging.getLogger(__name__)

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _time_of(value: str) -> dt.time:
    hours, _, minutes = value.partition(":")
    return dt.time(int(hours), int(minutes))


def working_hours() -> WorkingHours:
    """The working day from ``CALENDAR_WORKDAY_START``/``_END``/``CALENDAR_WORKDAYS`` (the
    settings check their form at start-up)."""
    return WorkingHours(
        start=_time_of(settings.CALENDAR_WORKDAY_START),
        end=_time_of(settings.CALENDAR_WORKDAY_END),
        weekdays=frozenset(WEEKDAY_NAMES.index(d) for d in settings.CALENDAR_WORKDAYS),
    )


def sync_window(user: User, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The days a sync covers, in the user's time zone: the last ``CALENDAR_SYNC_DAYS`` days,
    today, and the next ``CALENDAR_SYNC_DAYS_AHEAD`` (meetings already planned)."""
    today = today or timezone.localtime(timezone.now(), user.zone).date()
    return (
        today - dt.timedelta(days=settings.CALENDAR_SYNC_DAYS),
        today + dt.timedelta(days=settings.CALENDAR_SYNC_DAYS_AHEAD),
    )


@dataclass(frozen=True)
class CalendarCredentials:
    kind: str
    url: str
    username: str = ""
    password: str = ""


def _connection_for(user: User, credentials: CalendarCredentials) -> CalendarConnection:
    return CalendarConnection(
        user=user,
        kind=credentials.kind,
        url=credentials.url,
        username=credentials.username,
        password=credentials.password,
    )


def _check_role(user: User) -> None:
    if not user.is_employee:
        raise DomainError("Only employees connect a calendar.", status_code=403)


def calendar_connect(
    *, user: User, credentials: CalendarCredentials, limits: Limits | None = None
) -> tuple[CalendarConnection, list[CalendarDay]]:
    """Reads the calendar once (a refusal or failure raises ``CalendarFetchError``, a 400, and
    nothing is stored), then stores the connection (replacing any earlier one) and the days
    it read. Side effect: network requests through the guard in ``calendars.fetching``."""
    _check_role(user)
    candidate = _connection_for(user, credentials)
    loads = _read_loads(candidate, limits=limits)
    with transaction.atomic():
        CalendarConnection.objects.filter(user=user).delete()
        candidate.last_synced_at = timezone.now()
        candidate.save()
        days = _store_days(user, loads)
    return candidate, days


def calendar_disconnect(*, user: User) -> bool:
    """Forgets the connection and its credentials; the days already read stay (they are the
    person's data, shown and exported until they erase it). True if there was one."""
    deleted, _ = CalendarConnection.objects.filter(user=user).delete()
    return deleted > 0


def _read_loads(connection: CalendarConnection, *, limits: Limits | None) -> list[DayLoad]:
    user = connection.user
    zone = user.zone
    first, last = sync_window(user)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    source = source_for(connection, limits=limits)
    calendar = source.events_between(start, end)
    try:
        meetings = meetings_in(
            calendar,
            start=start,
            end=end,
            zone=zone,
            attendee_emails=(user.email, source.account_email()),
        )
    except ValueError as exc:  # recurring_ical_events.InvalidCalendar and malformed values
        raise CalendarFetchError(
            "The calendar holds events Resonance cannot read (an invalid date or repeat rule)."
        ) from exc
    return day_loads(
        meetings, first_day=first, last_day=last, zone=zone, working_hours=working_hours()
    )


DAY_FIELDS = (
    "calendar_meeting_count",
    "meeting_hours",
    "after_hours_meeting_hours",
    "longest_focus_hours",
    "back_to_back_meetings",
)


def _store_days(user: User, loads: list[DayLoad]) -> list[CalendarDay]:
    """One statement for every day read: a new day is inserted, a day read before is
    overwritten (user and date are unique)."""
    return CalendarDay.objects.bulk_create(
        [
            CalendarDay(user=user, date=load.date, **{f: getattr(load, f) for f in DAY_FIELDS})
            for load in loads
        ],
        update_conflicts=True,
        unique_fields=["user", "date"],
        update_fields=[*DAY_FIELDS, "updated_at"],
    )


def calendar_sync(*, connection_id: int, limits: Limits | None = None) -> bool:
    """Reads one connected calendar into its days. A failure is recorded on the connection
    (shown to the person, logged without the URL) and returns False; it never raises for a
    calendar that cannot be read. Safe to run twice: the days are overwritten."""
    connection = CalendarConnection.objects.select_related("user").filter(pk=connection_id).first()
    if connection is None:
        return False  # disconnected since the sync was planned
    try:
        loads = _read_loads(connection, limits=limits)
    except CalendarFetchError as exc:
        logger.warning(
            "Calendar sync failed for connection %s (%s): %s", connection.pk, connection.kind, exc
        )
        CalendarConnection.objects.filter(pk=connection.pk).update(
            last_error=exc.message, last_error_at=timezone.now()
        )
        return False
    with transaction.atomic():
        _store_days(connection.user, loads)
        CalendarConnection.objects.filter(pk=connection.pk).update(
            last_synced_at=timezone.now(), last_error="", last_error_at=None
        )
    return True


@dataclass
class SyncSummary:
    synced: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"Calendars synced: {self.synced}, failed: {self.failed}."


def calendars_sync_all(*, limits: Limits | None = None) -> SyncSummary:
    """Syncs every connected calendar once, one after the other; one that fails does not stop
    the others."""
    summary = SyncSummary()
    for connection_id in CalendarConnection.objects.order_by("pk").values_list("pk", flat=True):
        if calendar_sync(connection_id=connection_id, limits=limits):
            summary.synced += 1
        else:
            summary.failed += 1
            reason = (
                CalendarConnection.objects.filter(pk=connection_id)
                .values_list("last_error", flat=True)
                .first()
            )
            summary.failures.append(
                f"connection {connection_id}: {reason or 'disconnected during the sync'}"
            )
    return summary


def calendar_data_erase(*, user: User) -> dict[str, int]:
    """The person's calendar connection (credentials included) and every day read from it."""
    connections, _ = CalendarConnection.objects.filter(user=user).delete()
    days, _ = CalendarDay.objects.filter(user=user).delete()
    return {"calendar_connections": connections, "calendar_days": days}
