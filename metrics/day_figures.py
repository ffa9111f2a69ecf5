"""Figures of a person's whole day that other apps read from connected sources.

A *day figure* (``Stored.DAY_FIGURE`` in ``resonance.indicators``, e.g. the calendar's meeting
hours) is not computed from a check-in, so it has no column here. The app that reads it stores
it and registers a *day source*; the export, My trends and the meeting-excuse generator ask
``day_figures_for``, which asks every source. Metrics never imports those apps: they register
from their ``AppConfig.ready``.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from resonance import indicators

# (user, first day, last day) -> {day: {indicator key: value}}, only days the source holds.
DaySource = Callable[[User, dt.date | None, dt.date | None], dict[dt.date, dict[str, Any]]]

_sources: list[DaySource] = []


def register_day_source(source: DaySource) -> None:
    """Adds ``source`` (once, however often ``ready`` runs)."""
    if source not in _sources:
        _sources.append(source)


def day_figures_for(
    *, user: User, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[dt.date, dict[str, Any]]:
    """The user's own day figures in ``[date_from, date_to]`` by day, oldest first; only the
    keys of active day-figure indicators."""
    wanted = set(indicators.day_figure_keys())
    merged: dict[dt.date, dict[str, Any]] = {}
    for source in _sources:
        for day, figures in source(user, date_from, date_to).items():
            merged.setdefault(day, {}).update({k: v for k, v in figures.items() if k in wanted})
    return dict(sorted(merged.items()))


# A week is "heavy" when its meeting hours pass the person's usual week by this share, and are
# at least HEAVY_WEEK_MIN_HOURS (a few hours more than a near-empty usual is not heavy).
HEAVY_WEEK_FACTOR = 1.25
HEAVY_WEEK_MIN_HOURS = 15.0
# Without a previous week to compare with, a week is heavy from here (half of a 40-hour week).
HEAVY_WEEK_WITHOUT_USUAL_HOURS = 20.0
WEEK = 7


@dataclass(frozen=True)
class MeetingWeek:
    hours: float  # the last 7 days with day figures, up to the latest
    usual: float | None  # mean of the earlier full 7-day blocks, None without one
    heavy: bool


def meeting_week(
    days: Mapping[dt.date, Mapping[str, Any]], *, today: dt.date
) -> MeetingWeek | None:
    """The week up to ``today`` against the person's usual week (pure). ``days`` map a day to
    its figures (``meeting_hours``; days after today, already planned, are left out); None
    without any meeting hours."""
    hours_by_day = {
        d: f["meeting_hours"]
        for d, f in days.items()
        if f.get("meeting_hours") is not None and d <= today
    }
    if not hours_by_day:
        return None
    latest = max(hours_by_day)
    first = min(hours_by_day)

    def block(end: dt.date) -> float:
        return sum(hours_by_day.get(end - dt.timedelta(days=i), 0.0) for i in range(WEEK))

    this_week = block(latest)
    earlier = []
    end = latest - dt.timedelta(days=WEEK)
    while end - dt.timedelta(days=WEEK - 1) >= first:
        earlier.append(block(end))
        end -= dt.timedelta(days=WEEK)
    usual = sum(earlier) / len(earlier) if earlier else None
    if usual is None:
        heavy = this_week >= HEAVY_WEEK_WITHOUT_USUAL_HOURS
    else:
        heavy = this_week >= HEAVY_WEEK_MIN_HOURS and this_week > HEAVY_WEEK_FACTOR * usual
    return MeetingWeek(
        hours=round(this_week, 1), usual=None if usual is None else round(usual, 1), heavy=heavy
    )
