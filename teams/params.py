"""Parsing of the dashboard's query parameters, shared by the page, the export and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from .cells import metrics

RANGE_CHOICES: tuple[int, ...] = (30, 90, 365)
DEFAULT_RANGE_DAYS = 90
# Longest range the API accepts; the page offers RANGE_CHOICES only.
MAX_RANGE_DAYS = 366

# Far outside any real data, and keeps date arithmetic (rolling-mean lead-in) in range.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


class BadParameter(ValueError):
    """A query parameter the dashboard cannot use; the message is shown to the user."""


MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True)
class DashboardParams:
    metric: str
    days: int
    date_from: dt.date
    date_to: dt.date
    search: str = ""  # part of a team's name
    page: int = 1  # of the page's list of teams


def parse_metric(raw: str | None) -> str:
    metric = raw or "flow_score"
    choices = metrics()
    if metric not in choices:
        raise BadParameter(f"Unknown metric {metric!r}; choose one of: {', '.join(choices)}.")
    return metric


def parse_dashboard_params(
    query: Mapping[str, str], *, today: dt.date | None = None
) -> DashboardParams:
    """``metric`` and ``days`` (30, 90 or 365, ending today), and the page's team search ``q``
    and ``page``, from a page or export request."""
    metric = parse_metric(query.get("metric"))
    raw_days = query.get("days") or str(DEFAULT_RANGE_DAYS)
    choices = ", ".join(str(d) for d in RANGE_CHOICES)
    try:
        days = int(raw_days)
    except ValueError:
        raise BadParameter(f"'days' must be one of {choices}.") from None
    if days not in RANGE_CHOICES:
        raise BadParameter(f"'days' must be one of {choices}.")
    search = (query.get("q") or "").strip()
    if len(search) > MAX_SEARCH_LENGTH:
        raise BadParameter(f"'q' is at most {MAX_SEARCH_LENGTH} characters.")
    try:
        page = int(query.get("page") or 1)
    except ValueError:
        raise BadParameter("'page' must be a whole number from 1.") from None
    if page < 1:
        raise BadParameter("'page' must be a whole number from 1.")
    date_to = today or timezone.localdate()
    return DashboardParams(
        metric=metric,
        days=days,
        date_from=date_to - dt.timedelta(days=days - 1),
        date_to=date_to,
        search=search,
        page=page,
    )


def parse_date_range(
    raw_from: str | None, raw_to: str | None, *, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """``from``/``to`` as ISO dates (defaults: the last DEFAULT_RANGE_DAYS days)."""

    def parse(raw: str, name: str) -> dt.date:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise BadParameter(f"'{name}' must be a date like 2026-01-31.") from None

    date_to = parse(raw_to, "to") if raw_to else (today or timezone.localdate())
    date_from = (
        parse(raw_from, "from") if raw_from else date_to - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    )
    if not (date_from >= EARLIEST and date_to <= LATEST):
        raise BadParameter(f"Dates must lie between {EARLIEST} and {LATEST}.")
    if date_from > date_to:
        raise BadParameter("'from' must not be after 'to'.")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise BadParameter(f"The range may cover at most {MAX_RANGE_DAYS} days.")
    return date_from, date_to


def parse_month(raw: str) -> dt.date:
    """``YYYY-MM`` as the month's first day."""
    try:
        month = dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise BadParameter("'month' must be a month like 2026-01.") from None
    if not EARLIEST <= month <= LATEST:
        raise BadParameter(f"'month' must lie between {EARLIEST:%Y-%m} and {LATEST:%Y-%m}.")
    return month
