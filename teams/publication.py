"""Publication of team-day aggregates: once, after the day has closed, with noise, frozen.

A team's day D is *closed* when D has ended in the time zone of every member (and of everyone
who checked in for the team that day) and ``PUBLICATION_GRACE_HOURS`` have passed since. The
publication task then computes the day once from ``DailyMetric``, adds differential-privacy
noise (:mod:`teams.privacy`) and stores a ``PublishedTeamDay``. Nothing rewrites that row:
what managers see of a day cannot change later, so no two views can be subtracted to learn
about one person (late check-ins, erasure, team moves and time-zone changes included).

Each published number costs ``PRIVACY_EPSILON_PER_VALUE`` from the team's monthly budget
(``PRIVACY_MONTHLY_BUDGET``); a day that would overspend is withheld instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import django.dispatch
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from metrics.models import DailyMetric
from resonance import indicators

from . import privacy
from .models import PublishedTeamDay, Team

logger = logging.getLogger(__name__)

# Sent after commit with ``team_ids`` (a sorted list) whenever days were published.
team_days_published = django.dispatch.Signal()

# When each of some users had an individual alert open: (user id, opened, resolved or None).
# Filled by the alerts app (it sits above this one), so publication can release a noisy
# at-risk share without importing it.
AtRiskPeriods = Callable[[Iterable[int]], Iterable[tuple[int, dt.datetime, dt.datetime | None]]]
_at_risk_sources: list[AtRiskPeriods] = []


def register_at_risk_source(source: AtRiskPeriods) -> None:
    if source not in _at_risk_sources:
        _at_risk_sources.append(source)


def values_per_day() -> int:
    """The most numbers one published day releases (what one day may cost, in values).

    The contributor count, the FlowScore sum, a sum and a count for each other component,
    and the at-risk count.
    """
    return 1 + 1 + 2 * (len(indicators.published_keys()) - 1) + 1


@dataclass
class DayRows:
    """The rows of one team-day, as publication needs them (exact: never leaves this module)."""

    user_ids: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(
        default_factory=lambda: {metric: [] for metric in indicators.published_keys()}
    )


@dataclass(frozen=True)
class PublicationSummary:
    published: int
    suppressed: int
    withheld: int
    teams: list[int]

    @property
    def cells(self) -> int:
        return self.published + self.suppressed + self.withheld


def latest_closed_day(*, zones: Iterable[str], now: dt.datetime, grace: dt.timedelta) -> dt.date:
    """The last day that has ended, ``grace`` ago, in every one of ``zones``."""
    moment = now - grace
    local_days = [timezone.localtime(moment, _zone(name)).date() for name in zones]
    if not local_days:
        local_days = [timezone.localtime(moment, _zone(settings.TIME_ZONE)).date()]
    return min(local_days) - dt.timedelta(days=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (KeyError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def publish_cell(
    rows: DayRows | None,
    *,
    members: int,
    k: int,
    epsilon: float,
    budget_left: float,
    at_risk: int | None,
) -> dict:
    """The fields of one ``PublishedTeamDay`` (values noised here, once).

    Fewer than ``k`` contributors: suppressed, nothing released, nothing spent. A day whose
    releases would cost more than ``budget_left``: withheld. ``at_risk`` (contributors with an
    open individual alert) is released only when an at-risk source is installed.
    """
    contributors = len(rows.user_ids) if rows else 0
    empty = {
        "contributors_band": privacy.contributor_band(0, k=k),
        "epsilon_per_value": epsilon,
        "epsilon_spent": 0.0,
    }
    if rows is None or contributors < k:
        return {"status": PublishedTeamDay.Status.SUPPRESSED, **empty}
    shown = [m for m in indicators.published_keys() if len(rows.values.get(m, ())) >= k]
    # The contributor count doubles as the FlowScore count (every row has a FlowScore).
    if len(rows.values["flow_score"]) != contributors:
        raise ValueError("Every contributing row needs a FlowScore.")
    released = 1 + sum(1 if m == "flow_score" else 2 for m in shown)
    released += 1 if at_risk is not None else 0
    cost = released * epsilon
    if cost > budget_left + 1e-9:
        return {"status": PublishedTeamDay.Status.BUDGET, **empty}

    noisy_contributors = privacy.release_count(contributors, epsilon=epsilon)
    fields: dict = {
        "status": PublishedTeamDay.Status.PUBLISHED,
        "contributors_band": privacy.contributor_band(max(noisy_contributors, k), k=k),
        "epsilon_per_value": epsilon,
        "epsilon_spent": cost,
    }
    if members > 0:
        share = max(0, noisy_contributors) / members
        fields["participation_band"] = privacy.participation_band(min(1.0, share))
    for metric in shown:
        values = rows.values[metric]
        count = (
            noisy_contributors
            if metric == "flow_score"
            else privacy.release_count(len(values), epsilon=epsilon)
        )
        fields[metric] = round(
            privacy.release_mean(
                values, metric=metric, epsilon=epsilon, noisy_count=count, floor=k
            ),
            4,
        )
    if at_risk is not None:
        noisy_at_risk = max(0, privacy.release_count(at_risk, epsilon=epsilon))
        share = min(1.0, noisy_at_risk / max(noisy_contributors, k))
        fields["at_risk_share"] = round(share, 4)
        fields["at_risk_band"] = privacy.at_risk_band(share)
    return fields


def _closed_days_by_team(
    *, teams: list[int], now: dt.datetime, grace: dt.timedelta
) -> dict[int, dt.date]:
    """Each team's latest closed day, from the time zones of its members and recent rows."""
    zones: dict[int, set[str]] = defaultdict(set)
    for team_id, zone in (
        User.objects.filter(team_id__in=teams).values_list("team_id", "time_zone").distinct()
    ):
        zones[team_id].add(zone)
    # Only the last few days can still be open somewhere; older rows need no time zone.
    recent = timezone.localdate(now, ZoneInfo("UTC")) - dt.timedelta(days=3)
    for team_id, zone in (
        DailyMetric.objects.filter(team_id__in=teams, date__gte=recent)
        .values_list("team_id", "user__time_zone")
        .distinct()
    ):
        zones[team_id].add(zone)
    return {t: latest_closed_day(zones=zones[t], now=now, grace=grace) for t in teams}


def _rows_by_team_day(
    *, candidates: set[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], DayRows]:
    if not candidates:
        return {}
    first = min(day for _, day in candidates)
    last = max(day for _, day in candidates)
    team_ids = sorted({team for team, _ in candidates})
    rows: dict[tuple[int, dt.date], DayRows] = {}
    published = indicators.published_keys()
    # A row without a FlowScore holds no score at all: it is no contribution.
    metrics = DailyMetric.objects.filter(
        team_id__in=team_ids, date__gte=first, date__lte=last, flow_score__isnull=False
    ).values_list("team_id", "date", "user_id", *published)
    for team_id, day, user_id, *values in metrics.iterator(chunk_size=5000):
        if (team_id, day) not in candidates:
            continue
        day_rows = rows.setdefault((team_id, day), DayRows())
        day_rows.user_ids.append(user_id)
        for metric, value in zip(published, values, strict=True):
            if value is not None:
                day_rows.values[metric].append(value)
    return rows


class AtRiskLookup:
    """Who had an individual alert open at the end of a given day (the day's own state, so
    a backfill or a late publication never lends a day alerts raised after it)."""

    def __init__(self, periods: Iterable[tuple[int, dt.datetime, dt.datetime | None]]):
        self._periods: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(list)
        for user_id, opened, resolved in periods:
            self._periods[user_id].append((opened, resolved))

    def count(self, user_ids: Iterable[int], day: dt.date) -> int:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return sum(
            1
            for user_id in user_ids
            if any(
                opened < end and (resolved is None or resolved >= end)
                for opened, resolved in self._periods.get(user_id, ())
            )
        )


def _at_risk_lookup(rows: Iterable[DayRows]) -> AtRiskLookup | None:
    if not _at_risk_sources:
        return None
    user_ids = {user_id for day in rows for user_id in day.user_ids}
    return AtRiskLookup(period for source in _at_risk_sources for period in source(user_ids))


def _month(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _spent_by_team_month(*, candidates: set[tuple[int, dt.date]]) -> dict[tuple, float]:
    months = {_month(day) for _, day in candidates}
    team_ids = sorted({team for team, _ in candidates})
    spent: dict[tuple, float] = defaultdict(float)
    if not months:
        return spent
    month_filter = Q()
    for year, month in months:
        month_filter |= Q(date__year=year, date__month=month)
    for row in (
        PublishedTeamDay.objects.filter(month_filter, team_id__in=team_ids)
        .values("team_id", "date__year", "date__month")
        .annotate(spent=Sum("epsilon_spent"))
        .order_by()
    ):
        spent[(row["team_id"], row["date__year"], row["date__month"])] = row["spent"] or 0.0
    return spent


def team_days_publish(
    *, now: dt.datetime | None = None, team_ids: list[int] | None = None, announce: bool = True
) -> PublicationSummary:
    """Publish every closed, not yet published day of the last ``PUBLICATION_LOOKBACK_DAYS``.

    Idempotent: a published day is never computed again (a unique constraint keeps the first
    one if two runs race, and the loser's noise is thrown away unseen). Days of no or too few
    check-ins are published as suppressed, so they stay empty for good. After commit (with
    ``announce``), sends ``team_days_published`` for the teams that got new days.
    """
    now = now or timezone.now()
    grace = dt.timedelta(hours=settings.PUBLICATION_GRACE_HOURS)
    epsilon = settings.PRIVACY_EPSILON_PER_VALUE
    budget = settings.PRIVACY_MONTHLY_BUDGET
    k = settings.MIN_GROUP_SIZE
    teams = Team.objects.all()
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    members = dict(
        teams.annotate(
            employees=Count(
                "members", filter=Q(members__is_active=True, members__role=User.Role.EMPLOYEE)
            )
        ).values_list("id", "employees")
    )
    if not members:
        return PublicationSummary(0, 0, 0, [])
    start = timezone.localdate(now, ZoneInfo("UTC")) - dt.timedelta(
        days=settings.PUBLICATION_LOOKBACK_DAYS
    )
    closed = _closed_days_by_team(teams=list(members), now=now, grace=grace)
    published = set(
        PublishedTeamDay.objects.filter(team_id__in=list(members), date__gte=start).values_list(
            "team_id", "date"
        )
    )
    candidates = {
        (team_id, start + dt.timedelta(days=offset))
        for team_id, last in closed.items()
        for offset in range((last - start).days + 1)
    } - published
    if not candidates:
        return PublicationSummary(0, 0, 0, [])

    rows = _rows_by_team_day(candidates=candidates)
    at_risk_lookup = _at_risk_lookup(rows.values())
    spent = _spent_by_team_month(candidates=candidates)
    cells: list[PublishedTeamDay] = []
    for team_id, day in sorted(candidates):
        day_rows = rows.get((team_id, day))
        at_risk = None
        if at_risk_lookup is not None:
            at_risk = at_risk_lookup.count(day_rows.user_ids, day) if day_rows else 0
        key = (team_id, *_month(day))
        fields = publish_cell(
            day_rows,
            members=members[team_id],
            k=k,
            epsilon=epsilon,
            budget_left=budget - spent[key],
            at_risk=at_risk,
        )
        spent[key] += fields["epsilon_spent"]
        cells.append(PublishedTeamDay(team_id=team_id, date=day, published_at=now, **fields))

    with transaction.atomic():
        PublishedTeamDay.objects.bulk_create(cells, ignore_conflicts=True, batch_size=1000)
        teams_with_new_days = sorted({cell.team_id for cell in cells})
        if announce:
            transaction.on_commit(
                lambda: team_days_published.send(
                    sender=PublishedTeamDay, team_ids=teams_with_new_days
                )
            )
    counts: defaultdict[str, int] = defaultdict(int)
    for cell in cells:
        counts[cell.status] += 1
    summary = PublicationSummary(
        published=counts[PublishedTeamDay.Status.PUBLISHED],
        suppressed=counts[PublishedTeamDay.Status.SUPPRESSED],
        withheld=counts[PublishedTeamDay.Status.BUDGET],
        teams=teams_with_new_days,
    )
    logger.info("Published team days: %s", summary)
    return summary


def _inactive_published_keys() -> tuple[str, ...]:
    return tuple(i.key for i in indicators.inactive() if i.publishable)


def _inactive_published() -> QuerySet[PublishedTeamDay]:
    """Published team-days holding a mean of an indicator the active profile leaves out."""
    condition = Q(pk__in=[])
    for key in _inactive_published_keys():
        condition |= Q(**{f"{key}__isnull": False})
    return PublishedTeamDay.objects.filter(condition)


def published_inactive_values_count() -> int:
    return _inactive_published().count()


def published_inactive_values_remain() -> bool:
    return _inactive_published().exists()


def published_inactive_values_purge() -> int:
    """Erase published means of indicators the active profile leaves out; returns the rows.

    The one change a published row ever sees: a value that may no longer be kept is erased.
    Nothing is recomputed or released again (the rest of the row stays as published), so it
    spends no privacy budget and reveals nothing new.
    """
    keys = _inactive_published_keys()
    if not keys:
        return 0
    return _inactive_published().update(**dict.fromkeys(keys))
