"""Where calendar events come from: one ``CalendarSource`` per kind of connection.

A source answers one question, ``events_between(start, end)``: the person's events in that
window as an iCalendar document (series not yet expanded: ``calendars.load`` does that the same
way for every source). ICS subscriptions and CalDAV accounts are here; Microsoft Graph or Google
Calendar would join as two more classes (OAuth tokens in ``CalendarConnection``, events turned
into ``VEVENT``s) and one more ``CalendarConnection.Kind``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Protocol, cast

from caldav.collection import Calendar as DavCalendar
from caldav.davclient import DAVClient
from caldav.lib import error as caldav_error
from icalendar import Calendar

from .errors import CalendarFetchError
from .fetching import GuardedSession, Limits, fetch
from .models import CalendarConnection

logger = logging.getLogger(__name__)


class CalendarSource(Protocol):
    def events_between(self, start: dt.datetime, end: dt.datetime) -> Calendar:
        """Every event that may overlap ``[start, end)``, recurring series whole."""
        ...

    def account_email(self) -> str:
        """The address the person has in their calendar's invitations, when the source knows
        it (to recognise the meetings they declined); empty otherwise."""
        ...


def parse_calendar(data: bytes | str) -> Calendar:
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise CalendarFetchError(
            "The address did not return a calendar (iCalendar data, usually ending in .ics)."
        ) from exc
    if not isinstance(calendar, Calendar):
        raise CalendarFetchError("The address did not return a single calendar.")
    return calendar


class IcsSource:
    """A subscription URL that serves the whole calendar as one ``.ics`` document."""

    def __init__(self, url: str, *, limits: Limits | None = None) -> None:
        self.url = url
        self.limits = limits

    def events_between(self, start: dt.datetime, end: dt.datetime) -> Calendar:
        # Subscription feeds cannot be asked for a window: the whole feed comes.
        return parse_calendar(fetch(self.url, limits=self.limits))

    def account_email(self) -> str:
        return ""


class CalDavSource:
    """A CalDAV account (Nextcloud, Radicale, Fastmail, iCloud, SOGo, ...): the URL of the server
    or of one calendar, and the account's user name and password (or app password)."""

    def __init__(
        self, url: str, username: str, password: str, *, limits: Limits | None = None
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.limits = limits

    def _client(self) -> DAVClient:
        session = GuardedSession(self.limits)
        limits = session.limits
        # Discovery through DNS SRV records and .well-known would fetch addresses the guard
        # never saw: off. The client's own session is replaced by the guarded one.
        client = DAVClient(
            url=self.url,
            username=self.username or None,
            password=self.password or None,
            timeout=int(max(limits.connect_timeout, limits.read_timeout)),
            enable_rfc6764=False,
        )
        client.session.close()
        # The client types its session as niquests'; without niquests it is this requests one.
        client.session = session  # type: ignore[assignment]
        return client

    def events_between(self, start: dt.datetime, end: dt.datetime) -> Calendar:
        merged = Calendar()
        merged.add("prodid", "-//Resonance//calendar load//EN")
        merged.add("version", "2.0")
        try:
            with self._client() as client:
                for calendar in self._calendars(client):
                    found = cast(
                        list[Any], calendar.search(start=start, end=end, event=True, expand=False)
                    )
                    for item in found:
                        for component in parse_calendar(item.data).subcomponents:
                            merged.add_component(component)
        except CalendarFetchError:
            raise
        except caldav_error.AuthorizationError as exc:
            raise CalendarFetchError(
                "The CalDAV server refused the user name or password."
            ) from exc
        except caldav_error.DAVError as exc:
            logger.info("CalDAV request failed: %s", type(exc).__name__)
            raise CalendarFetchError(
                "The CalDAV server did not answer as a calendar server: check the address."
            ) from exc
        return merged

    def _calendars(self, client: DAVClient) -> list[DavCalendar]:
        """Every calendar of the account, or the one calendar the URL names."""
        try:
            calendars = client.principal().calendars()
        except caldav_error.DAVError:
            calendars = []
        return calendars or [client.calendar(url=self.url)]

    def account_email(self) -> str:
        return self.username if "@" in self.username else ""


def source_for(connection: CalendarConnection, *, limits: Limits | None = None) -> CalendarSource:
    if connection.kind == CalendarConnection.Kind.CALDAV:
        return CalDavSource(connection.url, connection.username, connection.password, limits=limits)
    return IcsSource(connection.url, limits=limits)
