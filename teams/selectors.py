"""Reads for the manager dashboard: published team x day aggregates, nothing live.

Every number a manager sees comes from ``PublishedTeamDay``: days that have closed, were
computed once with differential-privacy noise and never change (``teams.publication``).
Days not published yet, or with fewer than ``settings.MIN_GROUP_SIZE`` contributors, carry no
value. Totals (rolling means, period summaries) are built only from published values, so
every view is a function of the same frozen cells and no two views can be subtracted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import User

from .cells import Cell, cell_from_published, cell_note, empty_cell, published_columns
from .models import PublishedTeamDay, Team
from .privacy import participation_band

ROLLING_WINDOW_DAYS = 7
# A rolling-mean point needs this many shown days in its window, so one day never dominates.
ROLLING_MIN_DAYS = 3


def min_group_size() -> int:
    return settings.MIN_GROUP_SIZE


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    members: int


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
        return self.cells.get((team_id, day)) or empty_cell(team_id, day)

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


# --- Scoping -------------------------------------------------------------------------------


def can_use_dashboard(user: User) -> bool:
    return user.is_authenticated and (user.is_manager or user.is_admin_role)


def teams_visible_to(*, user: User) -> QuerySet[Team]:
    """The one answer to "which teams may this user see": the teams ``user`` manages, every
    team for admins, none for anyone else. Dashboards, the heatmap API, team alerts and their
    acknowledgement all scope through it."""
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
    team = teams_visible_to(user=user).filter(pk=team_id).first()
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


def team_day_aggregates(
    *,
    user: User,
    date_from: dt.date,
    date_to: dt.date,
    team_ids: list[int] | None = None,
) -> TeamDayAggregates:
    """Published team x day aggregates of the teams ``user`` may see.

    ``team_ids`` narrows the teams; asking for a team the user may not see raises
    PermissionDenied. Days without a published row are empty cells. Two queries whatever the
    number of teams, employees or days; never writes.
    """
    if not can_use_dashboard(user):
        raise PermissionDenied("Team aggregates are for managers and admins.")
    if date_from > date_to:
        raise ValueError("date_from is after date_to")
    teams_qs = teams_visible_to(user=user)
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
    lead_from = date_from - dt.timedelta(days=ROLLING_WINDOW_DAYS - 1)
    rows = PublishedTeamDay.objects.filter(
        team_id__in=[t.id for t in teams], date__gte=lead_from, date__lte=date_to
    ).values(*published_columns())
    for row in rows:
        cell = cell_from_published(row)
        if cell.date < date_from:
            result.lead_in[(cell.team_id, cell.date)] = cell.values
        else:
            result.cells[(cell.team_id, cell.date)] = cell
    return result


# --- Shapes shared by the page, the CSV export and the API ----------------------------------


def dashboard_rows(aggregates: TeamDayAggregates, *, metric: str) -> list[dict]:
    """One row per team and day: exactly what the page shows for ``metric``.

    Participation is a band; for the "participation" metric the value is that band's middle.
    """
    k = aggregates.k
    rows = []
    for team in aggregates.teams:
        for day in aggregates.dates:
            cell = aggregates.cell(team.id, day)
            value = cell.values.get(metric)
            note = cell_note(cell.status, k=k, has_value=value is not None)
            rows.append(
                {
                    "team_id": team.id,
                    "team": team.name,
                    "date": day,
                    "status": cell.status,
                    "value": value,
                    "suppressed": value is None,
                    "rolling_mean_7d": aggregates.rolling_mean(team.id, day, metric),
                    "participation": cell.participation_band,
                    "contributors": cell.band,
                    "note": note,
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
                "participation": (
                    participation_band(participation["mean"])
                    if participation["mean"] is not None
                    else ""
                ),
                "latest_rolling": aggregates.rolling_mean(team.id, aggregates.dates[-1], metric),
            }
        )
    return summaries
