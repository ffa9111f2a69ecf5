"""Weeks and months: the periods team aggregates are published for, and which metric is
published for which (pure)."""

from __future__ import annotations

import calendar
import datetime as dt

from resonance import indicators

from .models import PublishedTeamPeriod

Period = PublishedTeamPeriod.Period


def weekly_metrics() -> tuple[str, ...]:
    """Published every week: the FlowScore."""
    return ("flow_score",)


def monthly_metrics() -> tuple[str, ...]:
    """Published every month: the other published components of the active profile."""
    return tuple(m for m in indicators.published_keys() if m not in weekly_metrics())


def period_of(metric: str) -> str:
    """The period a metric is published for (participation comes with the weekly count)."""
    return Period.MONTH if metric in monthly_metrics() else Period.WEEK


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def period_start(period: str, day: dt.date) -> dt.date:
    """The first day of the period of kind ``period`` that holds ``day``."""
    if period == Period.WEEK:
        return week_start(day)
    if period == Period.MONTH:
        return month_start(day)
    return day


def period_end(period: str, start: dt.date) -> dt.date:
    if period == Period.WEEK:
        return start + dt.timedelta(days=6)
    if period == Period.MONTH:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start


def period_starts(period: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """Starts of the periods that begin on or after ``first`` and end on or before ``last``."""
    start = period_start(period, first)
    if start < first:
        start = period_end(period, start) + dt.timedelta(days=1)
    starts = []
    while period_end(period, start) <= last:
        starts.append(start)
        start = period_end(period, start) + dt.timedelta(days=1)
    return starts
