"""Meeting load: from calendar events to per-day figures (pure: no database, no network).

Two steps. ``meetings_in`` turns an iCalendar document into the meetings the person attends in
a window: recurring series expanded (``recurring-ical-events``: RRULE, RDATE, EXDATE and moved
or cancelled occurrences through RECURRENCE-ID), and left out: cancelled events, free
(``TRANSP:TRANSPARENT``) events, all-day events (``DATE`` values), events the person declined
(their ``ATTENDEE`` with ``PARTSTAT=DECLINED``) and events without duration. ``day_loads`` then
splits the meetings at midnight in the person's time zone and computes each day's figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Event

BACK_TO_BACK_GAP = dt.timedelta(minutes=5)
Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Meeting:
    start: dt.datetime  # aware
    end: dt.datetime  # aware, after start
    summary: str = ""


@dataclass(frozen=True)
class WorkingHours:
    """The working day, in the person's own time zone."""

    start: dt.time
    end: dt.time
    weekdays: frozenset[int]  # Monday is 0

    def on(self, day: dt.date, zone: ZoneInfo) -> Interval | None:
        if day.weekday() not in self.weekdays:
            return None
        return (
            dt.datetime.combine(day, self.start, tzinfo=zone).astimezone(dt.UTC),
            dt.datetime.combine(day, self.end, tzinfo=zone).astimezone(dt.UTC),
        )


@dataclass(frozen=True)
class DayLoad:
    date: dt.date
    calendar_meeting_count: int
    meeting_hours: float
    after_hours_meeting_hours: float
    longest_focus_hours: float | None  # None on a day without working hours
    back_to_back_meetings: int


def _as_aware(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    # A floating time (no TZID, no Z) is wall-clock time wherever the person is.
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _emails_of(attendee: object) -> str:
    return str(attendee).lower().removeprefix("mailto:").strip()


def _declined_by(event: Event, emails: frozenset[str]) -> bool:
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return False
    if not isinstance(attendees, list):
        attendees = [attendees]
    for attendee in attendees:
        partstat = str(getattr(attendee, "params", {}).get("PARTSTAT", "")).upper()
        if _emails_of(attendee) in emails and partstat == "DECLINED":
            return True
    return False


def _is_busy(event: Event, emails: frozenset[str]) -> bool:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    if not isinstance(_decoded(event, "DTSTART"), dt.datetime):
        return False  # all-day (a holiday, a birthday, "working from home"), or no start
    return not _declined_by(event, emails)


def _decoded(event: Event, name: str) -> object:
    """The property's Python value (datetime, date, timedelta), or None when absent."""
    return event.decoded(name) if name in event else None


def _end_of(event: Event, start: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    end = _decoded(event, "DTEND")
    if isinstance(end, dt.date):
        return _as_aware(end, zone)
    duration = _decoded(event, "DURATION")
    if isinstance(duration, dt.timedelta):
        return start + duration
    return start  # RFC 5545: a DTSTART without DTEND or DURATION takes no time


def meetings_in(
    calendar: Calendar,
    *,
    start: dt.datetime,
    end: dt.datetime,
    zone: ZoneInfo,
    attendee_emails: Iterable[str] = (),
) -> list[Meeting]:
    """The meetings of ``calendar`` that overlap ``[start, end)`` (aware datetimes), as aware
    intervals; see the module for what is left out."""
    emails = frozenset(e.lower() for e in attendee_emails if e)
    # A day either side: floating times are only placed in a zone below.
    occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
        (start - dt.timedelta(days=1)).replace(tzinfo=None),
        (end + dt.timedelta(days=1)).replace(tzinfo=None),
    )
    meetings = []
    for event in occurrences:
        if not isinstance(event, Event) or not _is_busy(event, emails):
            continue
        start_value = _decoded(event, "DTSTART")
        assert isinstance(start_value, dt.datetime)  # _is_busy checked it
        begins = _as_aware(start_value, zone)
        ends = _end_of(event, begins, zone)
        if ends <= begins or ends <= start or begins >= end:
            continue
        meetings.append(Meeting(begins, ends, str(event.get("SUMMARY", ""))))
    return sorted(meetings, key=lambda m: (m.start, m.end))


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    return [
        (max(b, window[0]), min(f, window[1]))
        for b, f in intervals
        if min(f, window[1]) > max(b, window[0])
    ]


def _hours(intervals: Iterable[Interval]) -> float:
    return sum((f - b).total_seconds() for b, f in intervals) / 3600


def _longest_gap(busy: Sequence[Interval], window: Interval) -> dt.timedelta:
    longest = dt.timedelta()
    cursor = window[0]
    for begin, finish in busy:
        longest = max(longest, begin - cursor)
        cursor = max(cursor, finish)
    return max(longest, window[1] - cursor)


def _back_to_back(pieces: Sequence[Interval]) -> int:
    count = 0
    latest_end: dt.datetime | None = None
    for begin, finish in pieces:
        # Overlapping meetings are double-booked rather than back to back.
        if latest_end is not None and dt.timedelta() <= begin - latest_end <= BACK_TO_BACK_GAP:
            count += 1
        latest_end = finish if latest_end is None else max(latest_end, finish)
    return count


def day_loads(
    meetings: Iterable[Meeting],
    *,
    first_day: dt.date,
    last_day: dt.date,
    zone: ZoneInfo,
    working_hours: WorkingHours,
) -> list[DayLoad]:
    """One ``DayLoad`` per day of ``[first_day, last_day]`` (days in ``zone``), a day without
    meetings included. A meeting across midnight counts on each day it touches, with the hours
    of that day; overlapping meetings count their shared time once."""
    # Arithmetic in UTC: a difference of two times in one zone ignores a DST change between.
    pieces_by_day: dict[dt.date, list[Interval]] = {}
    for meeting in meetings:
        begin, finish = meeting.start.astimezone(dt.UTC), meeting.end.astimezone(dt.UTC)
        day = begin.astimezone(zone).date()
        while day <= finish.astimezone(zone).date():
            window = (
                dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC),
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(
                    dt.UTC
                ),
            )
            piece = _clip([(begin, finish)], window)
            if piece:
                pieces_by_day.setdefault(day, []).append(piece[0])
            day += dt.timedelta(days=1)

    loads = []
    day = first_day
    while day <= last_day:
        pieces = sorted(pieces_by_day.get(day, []))
        busy = _union(pieces)
        work = working_hours.on(day, zone)
        in_hours = _hours(_clip(busy, work)) if work else 0.0
        total = _hours(busy)
        loads.append(
            DayLoad(
                date=day,
                calendar_meeting_count=len(pieces),
                meeting_hours=round(total, 2),
                after_hours_meeting_hours=round(total - in_hours, 2),
                longest_focus_hours=(
                    round(_longest_gap(_clip(busy, work), work).total_seconds() / 3600, 2)
                    if work
                    else None
                ),
                back_to_back_meetings=_back_to_back(pieces),
            )
        )
        day += dt.timedelta(days=1)
    return loads
