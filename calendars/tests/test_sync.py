"""From a calendar served on 127.0.0.1 to My trends and the export: the whole path, against a
real HTTP feed server and a real Radicale CalDAV server."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from caldav.davclient import DAVClient
from django.core.management import call_command
from django.utils import timezone

from calendars import services
from calendars.models import CalendarConnection, CalendarDay
from calendars.tests.conftest import FeedServer, Radicale, Route
from calendars.tests.week import (
    EMAIL,
    FIELDS,
    ZONE,
    expected_by_day,
    last_full_week_monday,
    split_by_uid,
    week_ics,
)
from metrics.models import DailyMetric
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/me/calendar/"


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings: Any) -> None:
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True  # the servers run on 127.0.0.1


@pytest.fixture
def erin(team: Any) -> Any:
    return UserFactory(username="erin", email=EMAIL, team=team, time_zone=ZONE)


def tokyo_today() -> dt.date:
    return timezone.localtime(timezone.now(), ZoneInfo(ZONE)).date()


def serve_week(feeds: FeedServer, monday: dt.date, path: str = "/erin.ics") -> str:
    feeds.routes[path] = Route(body=week_ics(monday).encode())
    return feeds.url(path)


def trends_hours(html: str) -> dict[str, str]:
    """{YYYY-MM-DD: meeting hours as shown} from the My trends page's meeting table."""
    rows = re.findall(
        r'<tr data-date="(\d{4}-\d\d-\d\d)">.*?data-indicator="meeting_hours">([^<\s]+)',
        html,
        flags=re.S,
    )
    return dict(rows)


def test_it_connects_syncs_and_shows_the_week_on_trends_and_in_the_export(
    erin, feeds, api_client_for, client
):
    monday = last_full_week_monday(tokyo_today())
    expected = expected_by_day(monday)
    url = serve_week(feeds, monday)
    api = api_client_for(erin)

    connected = api.put(API, {"kind": "ics", "url": url}, format="json")

    assert connected.status_code == 200, connected.content
    body = connected.json()
    assert body["connected"] is True and body["kind"] == "ics"
    assert body["host"] == "127.0.0.1"
    assert url not in connected.content.decode()  # the address may hold a secret token
    assert body["days_stored"] == 14 + 1 + 7  # the last 14 days, today and the next 7

    # The employee's calendar changes before the nightly sync: the sync reads it again.
    CalendarDay.objects.filter(user=erin).delete()
    out = StringIO()
    call_command("sync_calendars", stdout=out)
    assert "Calendars synced: 1, failed: 0." in out.getvalue()

    for day, figures in expected.items():
        stored = CalendarDay.objects.get(user=erin, date=day)
        assert {f: getattr(stored, f) for f in FIELDS} == figures, day

    client.force_login(erin)
    trends = client.get("/me/trends/")
    assert trends.status_code == 200
    html = trends.content.decode()
    shown = trends_hours(html)
    for day, figures in expected.items():
        assert shown[day.isoformat()] == f"{figures['meeting_hours']:.1f}", day
    assert 'id="meeting-week"' in html

    export = client.get("/me/data/export.json")
    records = {r["date"]: r for r in export.json()["daily_metrics"]}
    for day, figures in expected.items():
        record = records[day.isoformat()]
        assert record["meeting_hours"] == figures["meeting_hours"], day
        assert record["after_hours_meeting_hours"] == figures["after_hours_meeting_hours"]
        assert record["checkin_count"] is None  # a day with calendar data and no check-in


def test_this_weeks_planned_days_are_read_too(erin, feeds, api_client_for, client):
    today = tokyo_today()
    monday = today - dt.timedelta(days=today.weekday())
    api_client_for(erin).put(API, {"kind": "ics", "url": serve_week(feeds, monday)}, format="json")
    client.force_login(erin)

    records = {r["date"]: r for r in client.get("/me/data/export.json").json()["daily_metrics"]}
    for day, figures in expected_by_day(monday).items():
        assert records[day.isoformat()]["meeting_hours"] == figures["meeting_hours"], day
    shown = trends_hours(client.get("/me/trends/").content.decode())
    for day, figures in expected_by_day(monday).items():
        assert shown[day.isoformat()] == f"{figures['meeting_hours']:.1f}", day


def test_it_joins_meeting_hours_into_a_day_with_a_check_in(erin, feeds, api_client_for, client):
    monday = last_full_week_monday(tokyo_today())
    DailyMetric.objects.create(
        user=erin, team=erin.team, date=monday, flow_score=61.5, checkin_count=1
    )
    api_client_for(erin).put(API, {"kind": "ics", "url": serve_week(feeds, monday)}, format="json")
    client.force_login(erin)

    records = [r for r in client.get("/me/data/export.json").json()["daily_metrics"]]
    monday_records = [r for r in records if r["date"] == monday.isoformat()]
    assert len(monday_records) == 1
    assert monday_records[0]["flow_score"] == 61.5 and monday_records[0]["meeting_hours"] == 2.7

    csv_text = client.get("/me/data/export.csv").content.decode()
    header = csv_text.splitlines()[0].split(",")
    assert "meeting_hours" in header
    monday_row = next(
        line.split(",")
        for line in csv_text.splitlines()
        if line.startswith("daily_metric,") and monday.isoformat() in line
    )
    assert monday_row[header.index("meeting_hours")] == "2.7"


def test_it_reads_a_caldav_account_on_radicale(erin, radicale_server: Radicale):
    monday = last_full_week_monday(tokyo_today())
    with DAVClient(
        url=radicale_server.url,
        username=radicale_server.username,
        password=radicale_server.password,
    ) as dav:
        principal = dav.principal()
        calendar = principal.make_calendar(name="Work", cal_id=f"work-{erin.pk}-{monday}")
        for document in split_by_uid(week_ics(monday)):
            calendar.save_event(document)

    credentials = services.CalendarCredentials(
        kind="caldav",
        url=radicale_server.url,
        username=radicale_server.username,
        password=radicale_server.password,
    )
    connection, _days = services.calendar_connect(user=erin, credentials=credentials)

    for day, figures in expected_by_day(monday).items():
        stored = CalendarDay.objects.get(user=erin, date=day)
        assert {f: getattr(stored, f) for f in FIELDS} == figures, day
    # Stored encrypted: the database column holds no trace of the password.
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT password, url FROM calendars_calendarconnection WHERE id = %s", [connection.pk]
        )
        raw_password, raw_url = cursor.fetchone()
    assert radicale_server.password not in raw_password
    assert "127.0.0.1" not in raw_url
    assert CalendarConnection.objects.get(pk=connection.pk).password == radicale_server.password


def test_it_refuses_wrong_caldav_credentials_with_a_readable_400(
    erin, radicale_server: Radicale, api_client_for
):
    response = api_client_for(erin).put(
        API,
        {
            "kind": "caldav",
            "url": radicale_server.url,
            "username": radicale_server.username,
            "password": "wrong",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "refused the user name or password" in response.json()["detail"]
    assert not CalendarConnection.objects.filter(user=erin).exists()


def test_it_records_a_failing_calendar_in_the_periodic_sync_without_stopping_the_others(
    erin, feeds, api_client_for, caplog
):
    monday = last_full_week_monday(tokyo_today())
    api_client_for(erin).put(API, {"kind": "ics", "url": serve_week(feeds, monday)}, format="json")
    other = UserFactory(team=erin.team, time_zone=ZONE)
    api_client_for(other).put(
        API, {"kind": "ics", "url": serve_week(feeds, monday, "/other.ics")}, format="json"
    )
    feeds.routes["/erin.ics"] = Route(status=500, body=b"oops")

    out, err = StringIO(), StringIO()
    with caplog.at_level(logging.WARNING, logger="calendars.services"):
        call_command("sync_calendars", stdout=out, stderr=err)

    assert "Calendars synced: 1, failed: 1." in out.getvalue()
    assert "answered 500" in err.getvalue()
    assert "Calendar sync failed" in caplog.text
    assert "/erin.ics" not in caplog.text  # the address may hold a secret token
    failed = CalendarConnection.objects.get(user=erin)
    assert failed.last_error.startswith("The calendar server answered 500")
    assert CalendarConnection.objects.get(user=other).last_error == ""


def test_the_periodic_task_queues_one_sync_per_connection(erin, feeds, api_client_for):
    from calendars.tasks import sync_all_calendars

    monday = last_full_week_monday(tokyo_today())
    api_client_for(erin).put(API, {"kind": "ics", "url": serve_week(feeds, monday)}, format="json")
    CalendarDay.objects.filter(user=erin).delete()

    assert sync_all_calendars.apply().get() == 1

    # Without a broker the queued sync ran in-process.
    assert CalendarDay.objects.get(user=erin, date=monday).meeting_hours == 2.7


def test_disconnecting_forgets_the_credentials_and_erasing_removes_the_days(
    erin, feeds, api_client_for, client
):
    monday = last_full_week_monday(tokyo_today())
    api = api_client_for(erin)
    api.put(API, {"kind": "ics", "url": serve_week(feeds, monday)}, format="json")

    assert api.delete(API).status_code == 204
    assert not CalendarConnection.objects.filter(user=erin).exists()
    status = api.get(API).json()
    assert status["connected"] is False and status["days_stored"] == 22

    api.put(API, {"kind": "ics", "url": serve_week(feeds, monday)}, format="json")
    client.force_login(erin)
    response = client.post("/me/data/erase/", {"confirm": "erase"}, follow=True)

    assert "1 calendar connection" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=erin).exists()
    assert not CalendarDay.objects.filter(user=erin).exists()
    export = client.get("/me/data/export.json").json()
    assert export["daily_metrics"] == []


def test_the_page_connects_and_disconnects(erin, feeds, client):
    monday = last_full_week_monday(tokyo_today())
    client.force_login(erin)

    page = client.get("/me/calendar/")
    assert page.status_code == 200 and 'id="calendar-not-connected"' in page.content.decode()
    connected = client.post(
        "/me/calendar/", {"kind": "ics", "url": serve_week(feeds, monday)}, follow=True
    )
    html = connected.content.decode()
    assert 'id="calendar-connected"' in html and "Calendar connected" in html

    refused = client.post("/me/calendar/", {"kind": "ics", "url": feeds.url("/missing.ics")})
    assert refused.status_code == 400
    assert "answered 404" in refused.content.decode()

    gone = client.post("/me/calendar/disconnect/", follow=True)
    assert 'id="calendar-not-connected"' in gone.content.decode()


def test_the_excuse_generator_is_offered_todays_meeting_load(erin, api_client_for):
    today = tokyo_today()
    CalendarDay.objects.create(user=erin, date=today, meeting_hours=6.0, calendar_meeting_count=5)

    suggestion = api_client_for(erin).get("/api/v1/excuses/suggestion/").json()

    assert suggestion == {"reason": "overbooked", "flow_score": None, "meeting_hours": 6.0}


def test_a_heavy_week_is_called_one_against_the_persons_usual(erin, client):
    today = tokyo_today()
    for offset in range(21):
        day = today - dt.timedelta(days=offset)
        hours = 4.0 if offset < 7 else 2.0  # 28 h this week against a usual of 14 h
        CalendarDay.objects.create(user=erin, date=day, meeting_hours=hours)
    client.force_login(erin)

    html = client.get("/me/trends/").content.decode()

    assert "A heavy meeting week: 28.0 h of meetings" in html
    assert "your usual week: 14.0 h" in html


def test_the_export_reads_as_json(erin, client):
    CalendarDay.objects.create(user=erin, date=tokyo_today(), meeting_hours=1.5)
    client.force_login(erin)
    data = json.loads(client.get("/me/data/export.json").content)
    assert data["daily_metrics"][0]["meeting_hours"] == 1.5
