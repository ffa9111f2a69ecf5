"""Reads for the manager dashboard: published team x period aggregates, nothing live.

Every number a manager sees comes from ``PublishedTeamPeriod``: weeks (the FlowScore) and
months (the other components) that have closed, were computed once with differential-privacy
noise and never change (``teams.publication``). Periods not published yet, or with fewer than
``settings.MIN_GROUP_SIZE`` contributors, carry no value. Totals (trends, summaries) are built
only from published values, so every view is a function of the same frozen cells, no two views
can be subtracted, and none of them costs privacy budget.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from accounts.models import User

from .cells import Cell, cell_from_published, cell_note, empty_cell, published_columns
from .models import PublishedTeamPeriod, Team
from .periods import period_end, period_start
from .privacy import participation_band

# The trend: the mean of the last four published periods (four weeks of FlowScore).
ROLLING_WINDOW = 4
# A trend point needs this many shown periods in its window, so one period never dominates.
ROLLING_MIN = 2


def min_group_size() -> int:
    return settings.MIN_GROUP_SIZE


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    # The roster as published (a noisy band, monthly), never an exact head count.
    members: str


@dataclass
class TeamDayAggregates:
    """What a user may see for a set of teams over ``dates`` (the first days of the periods,
    oldest first)."""

    teams: list[TeamInfo]
    dates: list[dt.date]
    k: int
    period: str = "week"
    cells: dict[tuple[int, dt.date], Cell] = field(default_factory=dict)
    # Shown values for the ROLLING_WINDOW - 1 periods before ``dates[0]``; they only feed
    # the trend of the first periods of the range.
    lead_in: dict[tuple[int, dt.date], dict[str, float | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rolling: dict[tuple[int, str], list[float | None]] = {}
        self._index = {day: i for i, day in enumerate(self.dates)}

    def cell(self, team_id: int, day: dt.date) -> Cell:
        """The cell of the period holding ``day``."""
        start = period_start(self.period, day)
        return self.cells.get((team_id, start)) or empty_cell(team_id, start)

    def daily_values(self, team_id: int, metric: str) -> list[float | None]:
        """Shown values of ``metric`` for each period of the range (None where hidden)."""
        cells = self.cells
        return [
            cell.values.get(metric) if (cell := cells.get((team_id, day))) else None
            for day in self.dates
        ]

    def rolling_series(self, team_id: int, metric: str) -> list[float | None]:
        """The trend (mean of the last ROLLING_WINDOW periods, shown ones only) at each period
        of the range."""
        key = (team_id, metric)
        if key not in self._rolling:
            lead_days = [self.dates[0]]
            for _ in range(ROLLING_WINDOW - 1):
                lead_days.insert(0, period_start(self.period, lead_days[0] - dt.timedelta(days=1)))
            lead = [self.lead_in.get((team_id, day), {}).get(metric) for day in lead_days[:-1]]
            values = lead + self.daily_values(team_id, metric)
            series: list[float | None] = []
            for end in range(ROLLING_WINDOW - 1, len(values)):
                shown = [v for v in values[end - ROLLING_WINDOW + 1 : end + 1] if v is not None]
                series.append(
                    round(sum(shown) / len(shown), 4) if len(shown) >= ROLLING_MIN else None
                )
            self._rolling[key] = series
        return self._rolling[key]

    def rolling_mean(self, team_id: int, day: dt.date, metric: str) -> float | None:
        """The trend at the period holding ``day`` (hidden periods skipped)."""
        return self.rolling_series(team_id, metric)[self._index[period_start(self.period, day)]]

    def period_summary(self, team_id: int, metric: str) -> dict:
        """Mean of the shown periods of the range, and how many were hidden."""
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


@dataclass(frozen=True)
class TeamPage:
    """One page of the teams a user may see, in name order, narrowed by a search."""

    team_ids: list[int]
    number: int
    pages: int
    count: int  # teams matching the search, on every page
    first: int  # position of the page's first team, from 1 (0 when none)
    last: int


def dashboard_team_page(*, user: User, search: str, page: int, per_page: int | None) -> TeamPage:
    """The teams of one dashboard page: the admin of a large company sees them a page at a time
    (a page past the last shows the last; ``per_page`` None: every team the search keeps, as
    the export wants); one count and one id query."""
    from django.core.paginator import Paginator

    teams = teams_visible_to(user=user)
    if search:
        teams = teams.filter(name__icontains=search)
    ids = teams.order_by("name", "pk").values_list("pk", flat=True)
    if per_page is None:
        every = list(ids)
        return TeamPage(
            team_ids=every, number=1, pages=1, count=len(every), first=min(1, len(every)),
            last=len(every),
        )  # fmt: skip
    paginator = Paginator(ids, per_page)
    current = paginator.get_page(page)
    return TeamPage(
        team_ids=list(current.object_list),
        number=current.number,
        pages=paginator.num_pages,
        count=paginator.count,
        first=current.start_index(),
        last=current.end_index(),
    )


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
    latest_roster = (
        PublishedTeamPeriod.objects.filter(
            team=OuterRef("pk"), period=PublishedTeamPeriod.Period.MONTH
        )
        .exclude(members_band="")
        .order_by("-date")
        .values("members_band")[:1]
    )
    rows = teams.annotate(members_band=Subquery(latest_roster)).values_list(
        "id", "name", "members_band"
    )
    return [
        TeamInfo(id=i, name=n, members=band or "not published yet")
        for i, n, band in rows.order_by("name")
    ]


def team_day_aggregates(
    *,
    user: User,
    date_from: dt.date,
    date_to: dt.date,
    team_ids: list[int] | None = None,
    period: str = PublishedTeamPeriod.Period.WEEK,
) -> TeamDayAggregates:
    """Published team x period aggregates of the teams ``user`` may see: the periods of kind
    ``period`` that start in the range or overlap its first day.

    ``team_ids`` narrows the teams; asking for a team the user may not see raises
    PermissionDenied. Periods without a published row are empty cells. Two queries whatever
    the number of teams, employees or periods; never writes.
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
    first = period_start(period, date_from)
    starts = []
    while first <= date_to:
        starts.append(first)
        first = period_end(period, first) + dt.timedelta(days=1)
    result = TeamDayAggregates(teams=teams, dates=starts, k=k, period=period)
    if not teams:
        return result
    lead_from = starts[0] - dt.timedelta(days=31 * ROLLING_WINDOW)
    rows = PublishedTeamPeriod.objects.filter(
        team_id__in=[t.id for t in teams], period=period, date__gte=lead_from, date__lte=date_to
    ).values(*published_columns())
    for row in rows:
        cell = cell_from_published(row)
        if cell.date < starts[0]:
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
            note = cell_note(
                cell.status, k=k, has_value=value is not None, period=aggregates.period
            )
            rows.append(
                {
                    "team_id": team.id,
                    "team": team.name,
                    "date": day,
                    "status": cell.status,
                    "value": value,
                    "suppressed": value is None,
                    "period": aggregates.period,
                    "rolling_mean": aggregates.rolling_mean(team.id, day, metric),
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
