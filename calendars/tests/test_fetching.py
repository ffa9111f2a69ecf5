"""Calendar addresses are fetched by the server: the guard against request forgery, size and
time, through the API an employee uses and in the periodic sync."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from calendars.errors import CalendarFetchError
from calendars.fetching import Limits, check_url, fetch
from calendars.models import CalendarConnection
from calendars.tests.conftest import FeedServer, Route
from calendars.tests.week import week_ics

API = "/api/v1/me/calendar/"
WEEK = week_ics(dt.date(2026, 11, 23)).encode()


@pytest.fixture
def strict(settings: Any) -> Any:
    settings.CALENDAR_ALLOW_PRIVATE_URLS = False
    settings.CALENDAR_TRUSTED_HOSTS = []
    return settings


def put(api: Any, url: str) -> Any:
    return api.put(API, {"kind": "ics", "url": url}, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1:{port}/erin.ics", "private or local address"),
        ("https://localhost:{port}/erin.ics", "private or local address"),
        ("https://10.1.2.3/calendar.ics", "private or local address"),
        ("https://169.254.169.254/latest/meta-data/", "private or local address"),
        ("https://[::1]:{port}/erin.ics", "private or local address"),
        ("https://[::ffff:127.0.0.1]:{port}/erin.ics", "private or local address"),
        ("https://0.0.0.0:{port}/erin.ics", "private or local address"),
        ("http://127.0.0.1:{port}/erin.ics", "Only https://"),
        ("http://calendar.example.com/erin.ics", "Only https://"),
        ("ftp://calendar.example.com/erin.ics", "starting with https://"),
        ("file:///etc/passwd", "starting with https://"),
    ],
)
def test_it_refuses_private_addresses_and_plain_http_without_the_setting(
    strict, employee, feeds: FeedServer, api_client_for, url, message
):
    feeds.routes["/erin.ics"] = Route(body=WEEK)

    response = put(api_client_for(employee), url.format(port=feeds.port))

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert feeds.seen == []  # refused before any connection
    assert not CalendarConnection.objects.exists()


def test_a_trusted_host_is_reached_at_the_checked_address_by_its_name(strict, feeds: FeedServer):
    strict.CALENDAR_TRUSTED_HOSTS = ["localhost"]
    feeds.routes["/erin.ics"] = Route(body=WEEK)

    body = fetch(feeds.url("/erin.ics", host="localhost"))

    assert body == WEEK
    # Connected to 127.0.0.1 (what the name resolved to), the name still sent as Host.
    assert feeds.seen == [("/erin.ics", f"localhost:{feeds.port}")]


def test_a_redirect_is_checked_again_and_refused_when_it_points_inside(strict, feeds: FeedServer):
    strict.CALENDAR_TRUSTED_HOSTS = ["localhost"]
    feeds.routes["/hop"] = Route(
        status=302, headers={"Location": f"https://127.0.0.1:{feeds.port}/erin.ics"}
    )
    feeds.routes["/erin.ics"] = Route(body=WEEK)

    with pytest.raises(CalendarFetchError, match=r"'127\.0\.0\.1' is a private or local address"):
        fetch(feeds.url("/hop", host="localhost"))

    assert [path for path, _host in feeds.seen] == ["/hop"]


def test_a_redirect_to_plain_http_is_refused_in_strict_mode(strict, feeds: FeedServer):
    strict.CALENDAR_TRUSTED_HOSTS = ["localhost"]
    feeds.routes["/hop"] = Route(
        status=301, headers={"Location": "http://calendar.example.com/erin.ics"}
    )

    with pytest.raises(CalendarFetchError, match="Only https://"):
        fetch(feeds.url("/hop", host="localhost"))


def test_redirects_are_followed_at_most_five_times(settings, feeds: FeedServer):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    for hop in range(5):
        feeds.routes[f"/hop{hop}"] = Route(status=307, headers={"Location": f"/hop{hop + 1}"})
    feeds.routes["/hop5"] = Route(body=WEEK)
    feeds.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})

    assert fetch(feeds.url("/hop0")) == WEEK  # five redirects: fine
    with pytest.raises(CalendarFetchError, match="redirects more than 5 times"):
        fetch(feeds.url("/loop"))
    assert [path for path, _host in feeds.seen].count("/loop") == 6


@pytest.mark.django_db
@pytest.mark.parametrize("send_length", [True, False])
def test_it_refuses_a_calendar_over_the_size_cap(
    settings, employee, feeds: FeedServer, api_client_for, send_length
):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    settings.CALENDAR_MAX_BYTES = 10_000
    feeds.routes["/huge.ics"] = Route(body=b"X" * 50_000, send_length=send_length)

    response = put(api_client_for(employee), feeds.url("/huge.ics"))

    assert response.status_code == 400
    assert "larger than 0.01 MB" in response.json()["detail"]


@pytest.mark.django_db
def test_it_gives_up_on_a_server_that_does_not_answer_in_time(
    settings, employee, feeds: FeedServer, api_client_for
):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    settings.CALENDAR_READ_TIMEOUT = 0.3
    feeds.routes["/slow.ics"] = Route(body=WEEK, delay=1.5)

    response = put(api_client_for(employee), feeds.url("/slow.ics"))

    assert response.status_code == 400
    assert "took too long" in response.json()["detail"]


def test_a_trickling_server_hits_the_total_deadline(settings, feeds: FeedServer):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    settings.CALENDAR_TOTAL_TIMEOUT = 0.5
    feeds.routes["/trickle.ics"] = Route(body=b"X" * 20_000, trickle=0.1)

    with pytest.raises(CalendarFetchError, match="took too long"):
        fetch(feeds.url("/trickle.ics"))


@pytest.mark.django_db
def test_it_says_when_the_address_is_not_a_calendar(
    settings, employee, feeds: FeedServer, api_client_for
):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    feeds.routes["/page"] = Route(
        body=b"<html>Sign in</html>", headers={"Content-Type": "text/html"}
    )

    response = put(api_client_for(employee), feeds.url("/page"))

    assert response.status_code == 400
    assert "did not return a calendar" in response.json()["detail"]


@pytest.mark.django_db
def test_the_periodic_sync_logs_a_refused_address_and_carries_on(
    settings, employee, feeds: FeedServer, api_client_for, caplog
):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    feeds.routes["/erin.ics"] = Route(body=WEEK)
    assert put(api_client_for(employee), feeds.url("/erin.ics")).status_code == 200
    settings.CALENDAR_ALLOW_PRIVATE_URLS = False  # e.g. the deployment tightened its rules

    out, err = StringIO(), StringIO()
    with caplog.at_level(logging.WARNING, logger="calendars.services"):
        call_command("sync_calendars", stdout=out, stderr=err)

    assert "Calendars synced: 0, failed: 1." in out.getvalue()
    assert "Calendar sync failed" in caplog.text
    assert "Only https://" in CalendarConnection.objects.get(user=employee).last_error


def test_check_url_pins_the_first_checked_address():
    limits = Limits(
        allow_private=True,
        max_bytes=1,
        connect_timeout=1,
        read_timeout=1,
        total_seconds=1,
    )
    target = check_url("http://127.0.0.1:8080/x.ics", limits)
    assert (target.host, target.port, target.address) == ("127.0.0.1", 8080, "127.0.0.1")


def test_https_is_pinned_to_the_checked_address_with_the_name_for_sni_and_certificate(
    strict, tls_feeds
):
    strict.CALENDAR_TRUSTED_HOSTS = ["localhost"]
    strict.CALENDAR_CA_BUNDLE = str(tls_feeds.ca_file)
    tls_feeds.server.routes["/erin.ics"] = Route(body=WEEK)

    assert fetch(tls_feeds.url("/erin.ics")) == WEEK
    assert tls_feeds.server.seen == [("/erin.ics", f"localhost:{tls_feeds.server.port}")]


def test_https_refuses_a_certificate_for_another_name(settings, tls_feeds):
    settings.CALENDAR_ALLOW_PRIVATE_URLS = True
    settings.CALENDAR_CA_BUNDLE = str(tls_feeds.ca_file)
    tls_feeds.server.routes["/erin.ics"] = Route(body=WEEK)

    # The certificate names localhost; 127.0.0.1 is the same server under another name.
    with pytest.raises(CalendarFetchError, match="did not present a valid certificate"):
        fetch(tls_feeds.url("/erin.ics", host="127.0.0.1"))


def test_https_refuses_a_certificate_from_an_unknown_authority(settings, tls_feeds):
    settings.CALENDAR_TRUSTED_HOSTS = ["localhost"]
    settings.CALENDAR_CA_BUNDLE = ""
    tls_feeds.server.routes["/erin.ics"] = Route(body=WEEK)

    with pytest.raises(CalendarFetchError, match="did not present a valid certificate"):
        fetch(tls_feeds.url("/erin.ics"))
