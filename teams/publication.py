"""Publication of team aggregates: once per closed period, with noise, frozen, accounted.

A team's week (Monday to Sunday) or month is *closed* when its last day has ended in the time
zone of every member (and of everyone who checked in for the team in the last days) and
``PUBLICATION_GRACE_HOURS`` have passed since. The publication task then computes the period
once from ``DailyMetric``, adds differential-privacy noise (:mod:`teams.privacy`) and stores a
``PublishedTeamPeriod``. Nothing rewrites that row: what managers see of a period cannot
change later, so no two views can be subtracted to learn about one person (late check-ins,
erasure, team moves and time-zone changes included).

**The plan** (what is released, and what it costs each person whose data is in it):

* every week, the FlowScore: a noisy count of contributors (``PRIVACY_EPSILON_WEEK_COUNT``,
  also the participation and contributor bands) and a noisy sum of each contributor's mean
  FlowScore of the week (``PRIVACY_EPSILON_WEEK_FLOW``);
* every month, a noisy roster count charged to every active member
  (``PRIVACY_EPSILON_MONTH_ROSTER``); and for teams with at least ``PRIVACY_MONTH_MIN_GROUP``
  contributors (smaller teams would read noise), the other components
  (``PRIVACY_EPSILON_MONTH_COMPONENT`` each, for a count and a sum of each contributor's
  monthly mean), a noisy contributor count (``PRIVACY_EPSILON_MONTH_COUNT``) and a noisy count
  of contributors with an open individual alert (``PRIVACY_EPSILON_MONTH_AT_RISK``).

**The accountant.** Pure differential privacy composes by addition, per person: the ledger
(``PrivacySpend``, one row per person and month) adds up what every release cost every person
it used, charged to the month the period starts in. A release that would take anyone past
``PRIVACY_CAP_MONTH`` for that month or ``PRIVACY_CAP_YEAR`` for that year is withheld (status
``budget``): never noised more to fit. Anything computed from published rows (trends,
summaries, team alerts, exports) costs nothing more.

**The one exact fact.** Whether at least ``MIN_GROUP_SIZE`` people contributed to a period (or
reported a component) is decided on the true count and is visible (the cell is shown or
suppressed): declared as an invariant outside the budget, as a census declares its exact
totals, so that small teams are reliably suppressed and larger ones reliably shown. Every count
beyond that threshold is released only as a noisy band.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import django.dispatch
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from metrics.models import DailyMetric
from resonance import indicators

from . import privacy
from .models import PrivacySpend, PublishedTeamPeriod, Team
from .periods import (
    Period,
    month_start,
    monthly_metrics,
    period_end,
    period_starts,
    week_start,
)

logger = logging.getLogger(__name__)

Status = PublishedTeamPeriod.Status

# Sent after commit with ``team_ids`` (a sorted list) whenever periods were published.
team_days_published = django.dispatch.Signal()

# When each of some users had an individual alert open: (user id, opened, resolved or None).
# Filled by the alerts app (it sits above this one), so publication can release a noisy
# at-risk count without importing it.
AtRiskPeriods = Callable[[Iterable[int]], Iterable[tuple[int, dt.datetime, dt.datetime | None]]]
_at_risk_sources: list[AtRiskPeriods] = []

# A component's epsilon is split between its count and its sum (the sum carries the value).
COMPONENT_COUNT_SHARE = 0.3
# At most this many weeks start in one calendar month.
WEEKS_PER_MONTH = 5


def register_at_risk_source(source: AtRiskPeriods) -> None:
    if source not in _at_risk_sources:
        _at_risk_sources.append(source)


# --- The plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    week_count: float
    week_flow: float
    month_roster: float
    month_component: float
    month_count: float
    month_at_risk: float
    month_min_group: int
    cap_month: float
    cap_year: float
    at_risk: bool

    @classmethod
    def from_settings(cls) -> Plan:
        return cls(
            week_count=settings.PRIVACY_EPSILON_WEEK_COUNT,
            week_flow=settings.PRIVACY_EPSILON_WEEK_FLOW,
            month_roster=settings.PRIVACY_EPSILON_MONTH_ROSTER,
            month_component=settings.PRIVACY_EPSILON_MONTH_COMPONENT,
            month_count=settings.PRIVACY_EPSILON_MONTH_COUNT,
            month_at_risk=settings.PRIVACY_EPSILON_MONTH_AT_RISK,
            month_min_group=settings.PRIVACY_MONTH_MIN_GROUP,
            cap_month=settings.PRIVACY_CAP_MONTH,
            cap_year=settings.PRIVACY_CAP_YEAR,
            at_risk=bool(_at_risk_sources),
        )

    @property
    def week_cost(self) -> float:
        return self.week_count + self.week_flow

    @property
    def month_contributor_cost(self) -> float:
        """The most a month's cell costs a contributor who is also on the roster."""
        return (
            self.month_roster
            + self.month_count
            + (self.month_at_risk if self.at_risk else 0.0)
            + len(monthly_metrics()) * self.month_component
        )

    @property
    def worst_month(self) -> float:
        """The most one person can spend in a month while staying in one team."""
        return WEEKS_PER_MONTH * self.week_cost + self.month_contributor_cost


# --- Periods --------------------------------------------------------------------------------


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


# --- The rows of a period (exact: never leave this module) ----------------------------------


@dataclass
class PeriodRows:
    """Each contributor's mean of each published metric over one team's period."""

    values: dict[int, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, user_id: int, metrics: dict[str, float | None]) -> None:
        person = self.values.setdefault(user_id, defaultdict(list))
        for metric, value in metrics.items():
            if value is not None:
                person[metric].append(value)

    @property
    def user_ids(self) -> list[int]:
        return list(self.values)

    def person_means(self, metric: str) -> list[float]:
        return [sum(v[metric]) / len(v[metric]) for v in self.values.values() if v.get(metric)]


@dataclass
class Ledger:
    """What each person has spent, by month and by year, while a team is being published."""

    month: dict[tuple[int, dt.date], float] = field(default_factory=lambda: defaultdict(float))
    year: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    charged: dict[tuple[int, dt.date], tuple[float, int]] = field(default_factory=dict)

    def fits(self, costs: dict[int, float], *, start: dt.date, plan: Plan) -> bool:
        month = month_start(start)
        return all(
            self.month[(user_id, month)] + cost <= plan.cap_month + 1e-9
            and self.year[(user_id, month.year)] + cost <= plan.cap_year + 1e-9
            for user_id, cost in costs.items()
        )

    def charge(self, costs: dict[int, float], *, start: dt.date) -> None:
        month = month_start(start)
        for user_id, cost in costs.items():
            if cost <= 0:
                continue
            self.month[(user_id, month)] += cost
            self.year[(user_id, month.year)] += cost
            epsilon, releases = self.charged.get((user_id, month), (0.0, 0))
            self.charged[(user_id, month)] = (epsilon + cost, releases + 1)


def _load_ledger(user_ids: Iterable[int], years: Iterable[int]) -> Ledger:
    ledger = Ledger()
    ids, years = list(user_ids), sorted(set(years))
    if not ids or not years:
        return ledger
    for user_id, month, epsilon in PrivacySpend.objects.filter(
        user_id__in=ids, month__year__in=years
    ).values_list("user_id", "month", "epsilon"):
        ledger.month[(user_id, month)] += epsilon
        ledger.year[(user_id, month.year)] += epsilon
    return ledger


LEDGER_BATCH = 1000


def _save_ledger(ledger: Ledger) -> None:
    """Add what was charged to each person's month: one upsert per batch that adds to the
    stored sums in the database itself, so concurrent publications never lose a charge."""
    if not ledger.charged:
        return
    table = connection.ops.quote_name(PrivacySpend._meta.db_table)
    rows = [
        (user_id, month, epsilon, releases)
        for (user_id, month), (epsilon, releases) in ledger.charged.items()
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), LEDGER_BATCH):
            batch = rows[start : start + LEDGER_BATCH]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} (user_id, month, epsilon, releases) VALUES {values} "
                "ON CONFLICT (user_id, month) DO UPDATE SET "
                f"epsilon = {table}.epsilon + excluded.epsilon, "
                f"releases = {table}.releases + excluded.releases",
                [value for row in batch for value in row],
            )


# --- One cell -------------------------------------------------------------------------------


def _fewer(k: int) -> str:
    return privacy.contributor_band(0, k=k)


def _withheld(k: int) -> dict:
    return {"status": Status.BUDGET, "contributors_band": _fewer(k)}


def publish_week(
    rows: PeriodRows | None, *, members: int, k: int, plan: Plan
) -> tuple[dict, dict[int, float]]:
    """The fields of one weekly cell and what it cost each contributor (noised here, once).

    Fewer than ``k`` contributors: suppressed, nothing released, nothing spent (whether a
    period reached ``k`` is the one exact fact published: see the module's docstring).
    """
    rows = rows or PeriodRows()
    contributors = rows.user_ids
    if len(contributors) < k:
        return {"status": Status.SUPPRESSED, "contributors_band": _fewer(k)}, {}
    noisy = privacy.release_count(len(contributors), epsilon=plan.week_count)
    fields: dict = {
        "status": Status.PUBLISHED,
        "contributors_band": privacy.contributor_band(max(noisy, k), k=k),
    }
    if members > 0:
        fields["participation_band"] = privacy.participation_band(min(1.0, max(0, noisy) / members))
    fields["flow_score"] = round(
        privacy.release_mean(
            rows.person_means("flow_score"),
            metric="flow_score",
            epsilon=plan.week_flow,
            noisy_count=noisy,
            floor=k,
        ),
        4,
    )
    return fields, dict.fromkeys(contributors, plan.week_cost)


def publish_month(
    rows: PeriodRows | None,
    *,
    roster: Sequence[int],
    k: int,
    plan: Plan,
    at_risk: int | None,
) -> tuple[dict, dict[int, float]]:
    """The fields of one monthly cell (components, roster band, at-risk share) and its costs."""
    rows = rows or PeriodRows()
    contributors = rows.user_ids
    costs: dict[int, float] = defaultdict(float)
    for user_id in roster:
        costs[user_id] += plan.month_roster
    fields: dict = {
        "members_band": privacy.contributor_band(
            max(privacy.release_count(len(roster), epsilon=plan.month_roster), 0), k=k
        )
    }
    if len(contributors) < k:
        return {**fields, "status": Status.SUPPRESSED, "contributors_band": _fewer(k)}, dict(costs)
    if len(contributors) < plan.month_min_group:
        # Shown (the weekly cells carry the FlowScore), with nothing more released.
        return {**fields, "status": Status.PUBLISHED, "contributors_band": ""}, dict(costs)
    for user_id in contributors:
        costs[user_id] += plan.month_count
    noisy = privacy.release_count(len(contributors), epsilon=plan.month_count)
    fields["contributors_band"] = privacy.contributor_band(max(noisy, k), k=k)
    count_epsilon = plan.month_component * COMPONENT_COUNT_SHARE
    for metric in monthly_metrics():
        values = rows.person_means(metric)
        if len(values) < k:
            continue
        for user_id in contributors:
            costs[user_id] += plan.month_component
        count = privacy.release_count(len(values), epsilon=count_epsilon)
        fields[metric] = round(
            privacy.release_mean(
                values,
                metric=metric,
                epsilon=plan.month_component - count_epsilon,
                noisy_count=count,
                floor=k,
            ),
            4,
        )
    if at_risk is not None:
        for user_id in contributors:
            costs[user_id] += plan.month_at_risk
        noisy_at_risk = max(0, privacy.release_count(at_risk, epsilon=plan.month_at_risk))
        share = min(1.0, noisy_at_risk / max(noisy, k))
        fields["at_risk_share"] = round(share, 4)
        fields["at_risk_band"] = privacy.at_risk_band(share)
    return {**fields, "status": Status.PUBLISHED}, dict(costs)


# --- Publication ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationSummary:
    published: int
    suppressed: int
    withheld: int
    teams: list[int]

    @property
    def cells(self) -> int:
        return self.published + self.suppressed + self.withheld


class AtRiskLookup:
    """Who had an individual alert open at the end of a given day (the day's own state, so
    a backfill or a late publication never lends a period alerts raised after it)."""

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


def _at_risk_lookup(user_ids: set[int]) -> AtRiskLookup | None:
    if not _at_risk_sources:
        return None
    return AtRiskLookup(period for source in _at_risk_sources for period in source(user_ids))


def _team_zones(team_id: int, *, now: dt.datetime) -> set[str]:
    zones = set(User.objects.filter(team_id=team_id).values_list("time_zone", flat=True))
    # Only the last few days can still be open somewhere; older rows need no time zone.
    recent = timezone.localdate(now, ZoneInfo("UTC")) - dt.timedelta(days=3)
    zones.update(
        DailyMetric.objects.filter(team_id=team_id, date__gte=recent)
        .values_list("user__time_zone", flat=True)
        .distinct()
    )
    return zones


def _period_rows(
    team_id: int, *, first: dt.date, last: dt.date, candidates: Sequence[tuple[str, dt.date]]
) -> dict[tuple[str, dt.date], PeriodRows]:
    published = indicators.published_keys()
    monthly = monthly_metrics()
    rows: dict[tuple[str, dt.date], PeriodRows] = {}
    wanted = set(candidates)
    # A row without a FlowScore holds no score at all: it is no contribution.
    metrics = (
        DailyMetric.objects.filter(
            team_id=team_id, date__gte=first, date__lte=last, flow_score__isnull=False
        )
        .order_by()
        .values_list("date", "user_id", *published)
    )
    for day, user_id, *values in metrics.iterator(chunk_size=5000):
        by_metric = dict(zip(published, values, strict=True))
        week = (Period.WEEK, week_start(day))
        if week in wanted:
            rows.setdefault(week, PeriodRows()).add(
                user_id, {"flow_score": by_metric["flow_score"]}
            )
        month = (Period.MONTH, month_start(day))
        if month in wanted:
            rows.setdefault(month, PeriodRows()).add(user_id, {m: by_metric[m] for m in monthly})
    return rows


def _publish_team(
    team: Team, *, now: dt.datetime, start: dt.date, plan: Plan, k: int
) -> list[PublishedTeamPeriod]:
    """Every closed, unpublished week and month of one team, charged to its ledger (called
    inside a transaction holding the team's row lock)."""
    grace = dt.timedelta(hours=settings.PUBLICATION_GRACE_HOURS)
    last = latest_closed_day(zones=_team_zones(team.pk, now=now), now=now, grace=grace)
    published = set(
        PublishedTeamPeriod.objects.filter(team=team, date__gte=start).values_list("period", "date")
    )
    candidates = sorted(
        (
            (period, first)
            for period in (Period.WEEK, Period.MONTH)
            for first in period_starts(period, start, last)
            if (period, first) not in published
        ),
        key=lambda c: (c[1], c[0] == Period.MONTH),
    )
    if not candidates:
        return []
    first_day = min(first for _, first in candidates)
    last_day = max(period_end(period, first) for period, first in candidates)
    rows = _period_rows(team.pk, first=first_day, last=last_day, candidates=candidates)
    roster = list(
        User.objects.filter(team=team, is_active=True, role=User.Role.EMPLOYEE).values_list(
            "pk", flat=True
        )
    )
    people = set(roster) | {u for r in rows.values() for u in r.user_ids}
    ledger = _load_ledger(people, {first.year for _, first in candidates})
    at_risk_lookup = _at_risk_lookup(people)
    cells = []
    for period, first in candidates:
        period_rows = rows.get((period, first))
        # What the release may cost, decided before any noise is drawn.
        contributors = period_rows.user_ids if period_rows else []
        if period == Period.WEEK:
            worst = dict.fromkeys(contributors, plan.week_cost)
        else:
            worst = defaultdict(float, dict.fromkeys(roster, plan.month_roster))
            for user_id in contributors:
                worst[user_id] += plan.month_contributor_cost
        costs: dict[int, float]
        if not ledger.fits(worst, start=first, plan=plan):
            fields, costs = _withheld(k), {}
        elif period == Period.WEEK:
            fields, costs = publish_week(period_rows, members=len(roster), k=k, plan=plan)
        else:
            at_risk = (
                at_risk_lookup.count(contributors, period_end(period, first))
                if at_risk_lookup is not None
                else None
            )
            fields, costs = publish_month(
                period_rows, roster=roster, k=k, plan=plan, at_risk=at_risk
            )
        ledger.charge(costs, start=first)
        cells.append(
            PublishedTeamPeriod(
                team=team,
                period=period,
                date=first,
                published_at=now,
                epsilon_spent=round(max(costs.values(), default=0.0), 6),
                **fields,
            )
        )
    PublishedTeamPeriod.objects.bulk_create(cells, batch_size=1000)
    _save_ledger(ledger)
    return cells


def team_periods_publish(
    *, now: dt.datetime | None = None, team_ids: list[int] | None = None, announce: bool = True
) -> PublicationSummary:
    """Publish every closed, not yet published week and month of the last
    ``PUBLICATION_LOOKBACK_DAYS``, team by team.

    Idempotent: each team is published under a lock on its row, so two runs never publish or
    charge the same period twice. After commit (with ``announce``), sends
    ``team_days_published`` for the teams that got new periods.
    """
    now = now or timezone.now()
    plan = Plan.from_settings()
    k = settings.MIN_GROUP_SIZE
    start = timezone.localdate(now, ZoneInfo("UTC")) - dt.timedelta(
        days=settings.PUBLICATION_LOOKBACK_DAYS
    )
    teams = Team.objects.order_by("pk")
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    counts: defaultdict[str, int] = defaultdict(int)
    teams_with_new_periods: list[int] = []
    for team_id in teams.values_list("pk", flat=True):
        with transaction.atomic():
            team = Team.objects.select_for_update().get(pk=team_id)
            cells = _publish_team(team, now=now, start=start, plan=plan, k=k)
        for cell in cells:
            counts[cell.status] += 1
        if cells:
            teams_with_new_periods.append(team_id)
    if announce and teams_with_new_periods:
        transaction.on_commit(
            lambda: team_days_published.send(
                sender=PublishedTeamPeriod, team_ids=teams_with_new_periods
            )
        )
    summary = PublicationSummary(
        published=counts[Status.PUBLISHED],
        suppressed=counts[Status.SUPPRESSED],
        withheld=counts[Status.BUDGET],
        teams=teams_with_new_periods,
    )
    logger.info("Published team periods: %s", summary)
    return summary


# --- What a person has spent ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonBudget:
    month: dt.date
    epsilon_month: float
    epsilon_year: float
    releases_month: int
    cap_month: float
    cap_year: float


def budget_summary(budget: PersonBudget) -> str:
    """What the spending means, in plain words (My data and the API say the same)."""
    share = budget.epsilon_month / budget.cap_month if budget.cap_month else 0.0
    if budget.releases_month == 0:
        spent = f"Nothing published in {budget.month:%B %Y} has used your check-ins yet."
    else:
        spent = (
            f"In {budget.month:%B %Y}, {budget.releases_month} team figure"
            f"{'s' if budget.releases_month != 1 else ''} used your check-ins, spending "
            f"{budget.epsilon_month:.2f} of your monthly privacy budget of {budget.cap_month:g} "
            f"({share:.0%}); {budget.epsilon_year:.2f} of {budget.cap_year:g} this year."
        )
    return (
        f"{spent} Each figure your manager sees is a team average with random noise added; the "
        "budget caps how much all of them together can reveal about you (smaller is more "
        "private). When a figure would take anyone past the cap, it is not published."
    )


def person_budget(user_id: int, *, month: dt.date) -> PersonBudget:
    """What the releases have spent on one person in ``month`` and in its year."""
    month = month_start(month)
    plan = Plan.from_settings()
    rows = PrivacySpend.objects.filter(user_id=user_id, month__year=month.year)
    this_month = rows.filter(month=month).values_list("epsilon", "releases").first()
    year = rows.aggregate(total=Sum("epsilon"))["total"] or 0.0
    return PersonBudget(
        month=month,
        epsilon_month=round(this_month[0], 4) if this_month else 0.0,
        epsilon_year=round(year, 4),
        releases_month=this_month[1] if this_month else 0,
        cap_month=plan.cap_month,
        cap_year=plan.cap_year,
    )


def _inactive_published_keys() -> tuple[str, ...]:
    return tuple(i.key for i in indicators.inactive() if i.publishable)


def _inactive_published() -> QuerySet[PublishedTeamPeriod]:
    """Published team-days holding a mean of an indicator the active profile leaves out."""
    condition = Q(pk__in=[])
    for key in _inactive_published_keys():
        condition |= Q(**{f"{key}__isnull": False})
    return PublishedTeamPeriod.objects.filter(condition)


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
