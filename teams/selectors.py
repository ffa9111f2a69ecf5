"""Reads for the manager dashboard: team x day aggregates with small groups suppressed.

Every number a manager sees is computed here, in the database, over a whole team and a whole
day: recent days straight from DailyMetric, older days from the TeamDayStat rollup (built on
first read, rebuilt when a day is invalidated). A value computed over fewer than
``settings.MIN_GROUP_SIZE`` distinct employees is removed before it leaves this module.
Totals (rolling means, period summaries) are built only from cells that are shown, so no
total can be combined with the visible cells to recover a suppressed one by subtraction.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from metrics.models import DailyMetric

from .models import Team, TeamDayStat
from .services import team_day_stats_ensure

# Metric key -> DailyMetric column. "participation" is derived from the contributor count.
SCORE_METRICS: dict[str, str] = {
    "flow_score": "flow_score",
    "fatigue": "fatigue",
    "stress": "stress",
    "burnout": "burnout",
}
METRICS: tuple[str, ...] = (*SCORE_METRICS, "participation")
METRIC_LABELS: dict[str, str] = {
    "flow_score": "FlowScore",
    "fatigue": "Fatigue",
    "stress": "Voice stress",
    "burnout": "Burnout risk",
    "participation": "Participation",
}
RANGE_CHOICES: tuple[int, ...] = (7, 30, 90)
DEFAULT_RANGE_DAYS = 30
ROLLING_WINDOW_DAYS = 7
# A rolling-mean point needs this many shown days in its window, so one day never dominates.
ROLLING_MIN_DAYS = 3
# Longest range the API accepts; the page offers RANGE_CHOICES only.
MAX_RANGE_DAYS = 366
# Days from (today - LIVE_DAYS + 1) on are read live: new check-ins land there, and users'
# time zones put some of them on yesterday or the day before.
LIVE_DAYS = 3


def min_group_size() -> int:
    return settings.MIN_GROUP_SIZE


def is_suppressed(contributors: int, *, k: int) -> bool:
    """True when a group of ``contributors`` distinct employees is too small to show."""
    return contributors < k


@functools.lru_cache(maxsize=4096)
def contributor_band(contributors: int, *, k: int) -> str:
    """A coarse band ("5-9 people") so hover text never shows an exact small count."""
    if is_suppressed(contributors, k=k):
        return f"fewer than {k}"
    edges = [k] + [e for e in (10, 20, 50, 100, 200, 500, 1000) if e > k]
    for low, high in itertools.pairwise(edges):
        if low <= contributors < high:
            return f"{low}-{high - 1} people"
    return f"{edges[-1]}+ people"


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    members: int


@dataclass(slots=True)
class Cell:
    """One team on one day. ``values`` holds None for every metric that is suppressed."""

    team_id: int
    date: dt.date
    suppressed: bool
    band: str
    values: dict[str, float | None]


@dataclass
class TeamDayAggregates:
    """What a user may see for a set of teams over ``dates`` (oldest first)."""

    teams: list[TeamInfo]
    dates: list[dt.date]
    k: int
    cells: dict[tuple[int, dt.date], Cell] = field(default_factory=dict)
    # Shown values for the ROLLING_WINDOW_DAYS - 1 days before ``dates[0]``; they only feed
    # the rolling mean of the first days of the range.
    lead_in: dict[tuple[int, dt.date], dict[str, float | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rolling: dict[tuple[int, str], list[float | None]] = {}
        self._index = {day: i for i, day in enumerate(self.dates)}

    def cell(self, team_id: int, day: dt.date) -> Cell:
        return self.cells.get((team_id, day)) or _empty_cell(team_id, day, k=self.k)

    def daily_values(self, team_id: int, metric: str) -> list[float | None]:
        """Shown values of ``metric`` for each day of the range (None where suppressed)."""
        cells = self.cells
        return [
            cell.values.get(metric) if (cell := cells.get((team_id, day))) else None
            for day in self.dates
        ]

    def rolling_series(self, team_id: int, metric: str) -> list[float | None]:
        """7-day rolling mean for each day of the range, over shown days only."""
        key = (team_id, metric)
        if key not in self._rolling:
            first = self.dates[0]
            lead = [
                self.lead_in.get((team_id, first - dt.timedelta(days=back)), {}).get(metric)
                for back in range(ROLLING_WINDOW_DAYS - 1, 0, -1)
            ]
            values = lead + self.daily_values(team_id, metric)
            series: list[float | None] = []
            for end in range(ROLLING_WINDOW_DAYS - 1, len(values)):
                shown = [
                    v for v in values[end - ROLLING_WINDOW_DAYS + 1 : end + 1] if v is not None
                ]
                series.append(
                    round(sum(shown) / len(shown), 4) if len(shown) >= ROLLING_MIN_DAYS else None
                )
            self._rolling[key] = series
        return self._rolling[key]

    def rolling_mean(self, team_id: int, day: dt.date, metric: str) -> float | None:
        """Mean of the shown values in the 7 days ending on ``day`` (suppressed days skipped)."""
        return self.rolling_series(team_id, metric)[self._index[day]]

    def period_summary(self, team_id: int, metric: str) -> dict:
        """Mean of the shown days of the range, and how many days were suppressed."""
        shown = self.daily_values(team_id, metric)
        visible = [v for v in shown if v is not None]
        return {
            "mean": round(sum(visible) / len(visible), 4) if visible else None,
            "days_shown": len(visible),
            "days_suppressed": len(shown) - len(visible),
        }


def _empty_cell(team_id: int, day: dt.date, *, k: int) -> Cell:
    return Cell(
        team_id=team_id,
        date=day,
        suppressed=True,
        band=contributor_band(0, k=k),
        values=dict.fromkeys(METRICS),
    )


_ROW_KEYS = tuple((m, f"n_{m}", f"avg_{m}") for m in SCORE_METRICS)


def build_cell(
    *, team_id: int, day: dt.date, row: dict, members: int, k: int
) -> tuple[Cell, dict[str, float | None]]:
    """Apply suppression to one aggregated row (pure; ``row`` holds counts and means)."""
    contributors = row["contributors"]
    values: dict[str, float | None] = dict.fromkeys(METRICS)
    suppressed = is_suppressed(contributors, k=k)
    if not suppressed:
        for metric, n_key, avg_key in _ROW_KEYS:
            # A component missing for some people is a smaller group of its own.
            average = row[avg_key]
            if average is not None and not is_suppressed(row[n_key], k=k):
                values[metric] = round(float(average), 4)
        if members > 0:
            values["participation"] = round(min(1.0, contributors / members), 4)
    cell = Cell(
        team_id=team_id,
        date=day,
        suppressed=suppressed,
        band=contributor_band(contributors, k=k),
        values=values,
    )
    return cell, values


# --- Scoping -------------------------------------------------------------------------------


def can_use_dashboard(user: User) -> bool:
    return user.is_authenticated and (user.is_manager or user.is_admin_role)


def dashboard_teams_for(*, user: User) -> QuerySet[Team]:
    """Teams whose aggregates ``user`` may see: managed teams, or every team for admins."""
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_admin_role:
        return Team.objects.all()
    if user.is_manager:
        return Team.objects.filter(managers=user)
    return Team.objects.none()


def team_for_dashboard(*, user: User, team_id: int) -> Team:
    """The team if ``user`` may see it; PermissionDenied otherwise (404 only for admins)."""
    if not can_use_dashboard(user):
        raise PermissionDenied("Team aggregates are for the team's managers.")
    team = dashboard_teams_for(user=user).filter(pk=team_id).first()
    if team is None:
        if user.is_admin_role:
            raise Http404("No such team.")
        raise PermissionDenied("You do not manage this team.")
    return team


def _team_infos(teams: QuerySet[Team]) -> list[TeamInfo]:
    rows = teams.annotate(
        member_count=Count(
            "members",
            filter=Q(members__is_active=True, members__role=User.Role.EMPLOYEE),
        )
    ).values_list("id", "name", "member_count")
    return [TeamInfo(id=i, name=n, members=m) for i, n, m in rows.order_by("name")]


def aggregate_queryset(*, team_ids: list[int], date_from: dt.date, date_to: dt.date):
    """The GROUP BY (team, day) over DailyMetric: counts and means per metric."""
    annotations = {"contributors": Count("id")}
    for metric, column in SCORE_METRICS.items():
        annotations[f"n_{metric}"] = Count(column)
        annotations[f"avg_{metric}"] = Avg(column)
    return (
        DailyMetric.objects.filter(team_id__in=team_ids, date__gte=date_from, date__lte=date_to)
        .values("team_id", "date")
        .annotate(**annotations)
        .order_by()
    )


def _rollup_rows(*, team_ids: list[int], date_from: dt.date, date_to: dt.date):
    """The same shape as ``aggregate_queryset`` read from TeamDayStat (means from sums)."""
    team_day_stats_ensure(date_from=date_from, date_to=date_to)
    columns = ["team_id", "date", "contributors"]
    for metric in SCORE_METRICS:
        columns += [f"n_{metric}", f"sum_{metric}"]
    for row in TeamDayStat.objects.filter(
        team_id__in=team_ids, date__gte=date_from, date__lte=date_to
    ).values(*columns):
        for metric in SCORE_METRICS:
            n, total = row[f"n_{metric}"], row[f"sum_{metric}"]
            row[f"avg_{metric}"] = total / n if n and total is not None else None
        yield row


def _day_rows(*, team_ids: list[int], date_from: dt.date, date_to: dt.date):
    live_from = timezone.localdate() - dt.timedelta(days=LIVE_DAYS - 1)
    if date_from < live_from:
        yield from _rollup_rows(
            team_ids=team_ids,
            date_from=date_from,
            date_to=min(date_to, live_from - dt.timedelta(days=1)),
        )
    if date_to >= live_from:
        yield from aggregate_queryset(
            team_ids=team_ids, date_from=max(date_from, live_from), date_to=date_to
        )


def team_day_aggregates(
    *,
    user: User,
    date_from: dt.date,
    date_to: dt.date,
    team_ids: list[int] | None = None,
) -> TeamDayAggregates:
    """Suppressed team x day aggregates of the teams ``user`` may see.

    ``team_ids`` narrows the teams; asking for a team the user may not see raises
    PermissionDenied. A fixed number of queries whatever the number of teams, employees or
    days (plus a one-off rebuild of past days not yet in the rollup).
    """
    if not can_use_dashboard(user):
        raise PermissionDenied("Team aggregates are for managers and admins.")
    if date_from > date_to:
        raise ValueError("date_from is after date_to")
    teams_qs = dashboard_teams_for(user=user)
    if team_ids is not None:
        teams_qs = teams_qs.filter(pk__in=team_ids)
    teams = _team_infos(teams_qs)
    if team_ids is not None and len({t.id for t in teams}) != len(set(team_ids)):
        raise PermissionDenied("You do not manage one of these teams.")
    k = min_group_size()
    days = (date_to - date_from).days + 1
    result = TeamDayAggregates(
        teams=teams, dates=[date_from + dt.timedelta(days=i) for i in range(days)], k=k
    )
    if not teams:
        return result
    members = {t.id: t.members for t in teams}
    lead_from = date_from - dt.timedelta(days=ROLLING_WINDOW_DAYS - 1)
    for row in _day_rows(team_ids=list(members), date_from=lead_from, date_to=date_to):
        team_id, day = row["team_id"], row["date"]
        cell, values = build_cell(team_id=team_id, day=day, row=row, members=members[team_id], k=k)
        if day < date_from:
            result.lead_in[(team_id, day)] = values
        else:
            result.cells[(team_id, day)] = cell
    return result


# --- Shapes shared by the page, the CSV export and the API ----------------------------------


def dashboard_rows(aggregates: TeamDayAggregates, *, metric: str) -> list[dict]:
    """One row per team and day: exactly what the page shows for ``metric``."""
    k = aggregates.k
    rows = []
    for team in aggregates.teams:
        for day in aggregates.dates:
            cell = aggregates.cell(team.id, day)
            value = cell.values.get(metric)
            rows.append(
                {
                    "team_id": team.id,
                    "team": team.name,
                    "date": day,
                    "value": value,
                    "suppressed": value is None,
                    "rolling_mean_7d": aggregates.rolling_mean(team.id, day, metric),
                    "participation": cell.values["participation"],
                    "contributors": cell.band,
                    "note": f"fewer than {k} check-ins" if value is None else "",
                }
            )
    return rows


def team_summaries(aggregates: TeamDayAggregates, *, metric: str) -> list[dict]:
    """Per-team summary of the range, built only from the days that are shown."""
    summaries = []
    for team in aggregates.teams:
        summary = aggregates.period_summary(team.id, metric)
        participation = aggregates.period_summary(team.id, "participation")
        summaries.append(
            {
                "team": team,
                "mean": summary["mean"],
                "days_shown": summary["days_shown"],
                "days_suppressed": summary["days_suppressed"],
                "participation": participation["mean"],
                "latest_rolling": aggregates.rolling_mean(team.id, aggregates.dates[-1], metric),
            }
        )
    return summaries
