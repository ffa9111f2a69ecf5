"""A week of real-shaped calendar events and its meeting load, worked out by hand.

The person works in Asia/Tokyo (UTC+9, no daylight saving), 09:00-18:00 Monday to Friday;
the other zones used (UTC, Asia/Kolkata UTC+5:30) have no daylight saving either, so the
figures hold whatever week the tests run in. ``monday`` is a Monday; times are Tokyo's.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

ZONE = "Asia/Tokyo"
EMAIL = "erin@example.com"

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Asia/Tokyo
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
TZNAME:JST
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:Asia/Kolkata
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0530
TZOFFSETTO:+0530
TZNAME:IST
END:STANDARD
END:VTIMEZONE
"""


def _d(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def week_ics(monday: dt.date, *, email: str = EMAIL) -> str:
    mon, tue, wed, thu, fri, sat = (monday + dt.timedelta(days=i) for i in range(6))
    series_start = monday - dt.timedelta(days=14)
    events = f"""BEGIN:VEVENT
UID:standup@example.com
SUMMARY:Standup
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(series_start)}T093000
DTEND;TZID=Asia/Tokyo:{_d(series_start)}T094500
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
EXDATE;TZID=Asia/Tokyo:{_d(wed)}T093000
ORGANIZER:mailto:lead@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:{email}
END:VEVENT
BEGIN:VEVENT
UID:standup@example.com
SUMMARY:Standup (moved)
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Asia/Tokyo:{_d(thu)}T093000
DTSTART;TZID=Asia/Tokyo:{_d(thu)}T160000
DTEND;TZID=Asia/Tokyo:{_d(thu)}T161500
END:VEVENT
BEGIN:VEVENT
UID:standup@example.com
SUMMARY:Standup (cancelled)
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Asia/Tokyo:{_d(tue)}T093000
DTSTART;TZID=Asia/Tokyo:{_d(tue)}T093000
DTEND;TZID=Asia/Tokyo:{_d(tue)}T094500
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:planning@example.com
SUMMARY:Sprint planning
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(mon)}T100000
DTEND;TZID=Asia/Tokyo:{_d(mon)}T110000
END:VEVENT
BEGIN:VEVENT
UID:review@example.com
SUMMARY:Design review
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(mon)}T110000
DTEND;TZID=Asia/Tokyo:{_d(mon)}T120000
END:VEVENT
BEGIN:VEVENT
UID:lunch@example.com
SUMMARY:Lunch and learn
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(mon)}T120300
DURATION:PT27M
END:VEVENT
BEGIN:VEVENT
UID:client@example.com
SUMMARY:Client call
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(tue)}T140000
DTEND;TZID=Asia/Tokyo:{_d(tue)}T150000
END:VEVENT
BEGIN:VEVENT
UID:one-to-one@example.com
SUMMARY:1:1
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(tue)}T143000
DTEND;TZID=Asia/Tokyo:{_d(tue)}T153000
END:VEVENT
BEGIN:VEVENT
UID:all-hands@example.com
SUMMARY:All hands
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(tue)}T160000
DTEND;TZID=Asia/Tokyo:{_d(tue)}T170000
ORGANIZER:mailto:ceo@example.com
ATTENDEE;CN=Erin;PARTSTAT=DECLINED:mailto:{email.upper()}
ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone@example.com
END:VEVENT
BEGIN:VEVENT
UID:focus@example.com
SUMMARY:Focus (shown as free)
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(tue)}T100000
DTEND;TZID=Asia/Tokyo:{_d(tue)}T120000
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:vendor@example.com
SUMMARY:Vendor demo
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(wed)}T100000
DTEND;TZID=Asia/Tokyo:{_d(wed)}T110000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:offsite@example.com
SUMMARY:Company offsite
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:{_d(wed)}
DTEND;VALUE=DATE:{_d(thu)}
END:VEVENT
BEGIN:VEVENT
UID:bangalore@example.com
SUMMARY:Sync with Bangalore
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Kolkata:{_d(wed)}T083000
DTEND;TZID=Asia/Kolkata:{_d(wed)}T093000
END:VEVENT
BEGIN:VEVENT
UID:us-call@example.com
SUMMARY:Call with the US team
DTSTAMP:20260101T000000Z
DTSTART:{_d(wed)}T110000Z
DTEND:{_d(wed)}T120000Z
END:VEVENT
BEGIN:VEVENT
UID:release@example.com
SUMMARY:Release night
DTSTAMP:20260101T000000Z
DTSTART:{_d(thu)}T230000
DTEND:{_d(fri)}T013000
END:VEVENT
BEGIN:VEVENT
UID:retro@example.com
SUMMARY:Retro
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(fri)}T173000
DTEND;TZID=Asia/Tokyo:{_d(fri)}T183000
END:VEVENT
BEGIN:VEVENT
UID:handover@example.com
SUMMARY:On-call handover
DTSTAMP:20260101T000000Z
DTSTART;TZID=Asia/Tokyo:{_d(sat)}T100000
DTEND;TZID=Asia/Tokyo:{_d(sat)}T103000
END:VEVENT
"""
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example Corp//Calendar//EN\n"
        f"X-WR-CALNAME:Work\n{VTIMEZONES}{events}END:VCALENDAR\n"
    )
    return text.replace("\n", "\r\n")


# Per day of the week (Monday first): meetings, meeting hours, after-hours meeting hours,
# longest focus block (hours, None on a day off), back-to-back meetings.
#
# Mon: standup 09:30-09:45, planning 10-11, review 11-12 (right after: back to back), lunch
#      12:03-12:30 (3 min after: back to back): 0.25 + 1 + 1 + 0.45 = 2.7 h; focus 12:30-18:00.
# Tue: standup cancelled (RECURRENCE-ID, STATUS:CANCELLED), all hands declined, focus block
#      free: client call 14-15 and 1:1 14:30-15:30 overlap: 1.5 h once; focus 09:00-14:00.
# Wed: standup removed (EXDATE), vendor demo cancelled, offsite all-day: Bangalore 08:30-09:30
#      IST = 12-13 Tokyo, US call 11:00-12:00 UTC = 20-21 Tokyo (after hours); focus 13-18.
# Thu: standup moved to 16:00-16:15; release night 23:00 (floating, Tokyo) until 01:30 Friday:
#      1 h on Thursday, after hours; focus 09:00-16:00.
# Fri: standup, release night 00:00-01:30 (after hours), retro 17:30-18:30 (half after hours):
#      0.25 + 1.5 + 1 = 2.75 h, 2 h after hours; focus 09:45-17:30.
# Sat: handover 10-10:30, all after hours (not a working day). Sun: nothing.
EXPECTED: list[tuple[int, float, float, float | None, int]] = [
    (4, 2.7, 0.0, 5.5, 2),
    (2, 1.5, 0.0, 5.0, 0),
    (2, 2.0, 1.0, 5.0, 0),
    (2, 1.25, 1.0, 7.0, 0),
    (3, 2.75, 2.0, 7.75, 0),
    (1, 0.5, 0.5, None, 0),
    (0, 0.0, 0.0, None, 0),
]
FIELDS = (
    "calendar_meeting_count",
    "meeting_hours",
    "after_hours_meeting_hours",
    "longest_focus_hours",
    "back_to_back_meetings",
)
WEEK_MEETING_HOURS = 10.7


def expected_by_day(monday: dt.date) -> dict[dt.date, dict[str, float | int | None]]:
    return {
        monday + dt.timedelta(days=i): dict(zip(FIELDS, row, strict=True))
        for i, row in enumerate(EXPECTED)
    }


def last_full_week_monday(today: dt.date) -> dt.date:
    """The Monday of the week before this one: the whole week lies in the last 14 days."""
    return today - dt.timedelta(days=today.weekday() + 7)


def split_by_uid(ics: str) -> list[str]:
    """One iCalendar document per UID (with the time zones), as a CalDAV server stores them."""
    calendar = Calendar.from_ical(ics)
    timezones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    by_uid: dict[str, list] = {}
    for component in calendar.walk("VEVENT"):
        by_uid.setdefault(str(component["UID"]), []).append(component)
    documents = []
    for components in by_uid.values():
        single = Calendar()
        single.add("prodid", "-//Example Corp//Calendar//EN")
        single.add("version", "2.0")
        for item in [*timezones, *components]:
            single.add_component(item)
        documents.append(single.to_ical().decode())
    return documents
