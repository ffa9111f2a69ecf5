"""Meeting load from events: pure functions, no database, no network."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from calendars.load import DayLoad, WorkingHours, day_loads, meetings_in
from calendars.tests.week import EMAIL, FIELDS, ZONE, expected_by_day, week_ics

NINE_TO_SIX = WorkingHours(dt.time(9), dt.time(18), frozenset(range(5)))


def loads_of(ics: str, zone: str, first: dt.date, last: dt.date, emails=(EMAIL,)) -> list[DayLoad]:
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    meetings = meetings_in(
        Calendar.from_ical(ics), start=start, end=end, zone=tz, attendee_emails=emails
    )
    return day_loads(meetings, first_day=first, last_day=last, zone=tz, working_hours=NINE_TO_SIX)


def calendar_of(*events: str) -> str:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{i}\r\n{e.strip()}\r\nEND:VEVENT\r\n" for i, e in enumerate(events)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{body}END:VCALENDAR\r\n"


def test_it_computes_the_hand_worked_week():
    monday = dt.date(2026, 11, 23)
    loads = loads_of(week_ics(monday), ZONE, monday, monday + dt.timedelta(days=6))
    assert {d.date: {f: getattr(d, f) for f in FIELDS} for d in loads} == expected_by_day(monday)


def test_an_invitation_declined_by_someone_else_still_counts():
    monday = dt.date(2026, 11, 23)
    # Without the person's address, the declined all-hands (16-17 Tuesday) is a meeting.
    loads = loads_of(week_ics(monday), ZONE, monday, monday + dt.timedelta(days=6), emails=())
    assert loads[1].meeting_hours == 2.5
    assert loads[1].calendar_meeting_count == 3


def test_hours_are_real_hours_on_the_night_clocks_go_forward():
    # Berlin, 29 March 2026: 02:00 becomes 03:00. 01:00-04:00 on the clock is two hours.
    ics = calendar_of(
        "DTSTART;TZID=Europe/Berlin:20260329T010000\r\nDTEND;TZID=Europe/Berlin:20260329T040000"
    )
    (load,) = loads_of(ics, "Europe/Berlin", dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert load.meeting_hours == 2.0
    assert load.after_hours_meeting_hours == 2.0  # a Sunday


def test_an_event_in_utc_lands_on_the_persons_own_day():
    # 23:30 UTC on Monday is 08:30 on Tuesday in Tokyo.
    ics = calendar_of("DTSTART:20261123T233000Z\r\nDTEND:20261124T003000Z")
    monday, tuesday = loads_of(ics, ZONE, dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    assert monday.meeting_hours == 0.0
    assert (tuesday.meeting_hours, tuesday.after_hours_meeting_hours) == (1.0, 0.5)


def test_events_without_an_end_take_no_time_and_durations_count():
    ics = calendar_of(
        "DTSTART:20261123T100000Z",
        "DTSTART:20261123T120000Z\r\nDURATION:PT45M",
    )
    (load,) = loads_of(ics, "UTC", dt.date(2026, 11, 23), dt.date(2026, 11, 23))
    assert (load.calendar_meeting_count, load.meeting_hours) == (1, 0.75)


def test_a_day_without_meetings_is_a_whole_focus_day():
    (load,) = loads_of(calendar_of(), "UTC", dt.date(2026, 11, 23), dt.date(2026, 11, 23))
    assert load == DayLoad(dt.date(2026, 11, 23), 0, 0.0, 0.0, 9.0, 0)
