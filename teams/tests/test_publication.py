"""Publication of team weeks and months: when a period closes, what is released, what it costs
each person, once only."""

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from alerts.models import BurnoutAlert
from metrics.models import DailyMetric
from teams.models import PrivacySpend, PublishedTeamPeriod
from teams.periods import period_starts
from teams.publication import (
    AtRiskLookup,
    Plan,
    latest_closed_day,
    person_budget,
    team_periods_publish,
)
from teams.selectors import dashboard_rows, team_day_aggregates
from tests.factories import TeamFactory
from tests.support.concurrency import run_at_once

from .helpers import DAY, add_day, add_members, closing_time, last_week_end, publish, week_of

pytestmark = pytest.mark.django_db

UTC = dt.UTC
GRACE = dt.timedelta(hours=6)
WEEK = week_of(DAY)
MARCH = DAY.replace(day=1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def week_cell(team, start=WEEK) -> PublishedTeamPeriod:
    return PublishedTeamPeriod.objects.get(team=team, period="week", date=start)


@pytest.mark.parametrize(
    ("zones", "now", "closed"),
    [
        (["UTC"], at(DAY + dt.timedelta(days=1), 5, 59), DAY - dt.timedelta(days=1)),
        (["UTC"], at(DAY + dt.timedelta(days=1), 6, 0), DAY),
        # Los Angeles is 7-8 hours behind: its day ends at 07:00 or 08:00 UTC the next day.
        (["UTC", "America/Los_Angeles"], at(DAY + dt.timedelta(days=1), 13, 0), DAY),
        (
            ["UTC", "America/Los_Angeles"],
            at(DAY + dt.timedelta(days=1), 12, 59),
            DAY - dt.timedelta(days=1),
        ),
        # Kiritimati (UTC+14) closes first: its day ends at 10:00 UTC the same date.
        (["Pacific/Kiritimati"], at(DAY, 16, 0), DAY),
        (["Pacific/Kiritimati", "UTC"], at(DAY, 16, 0), DAY - dt.timedelta(days=1)),
        ([], at(DAY + dt.timedelta(days=1), 6, 0), DAY),  # no members: the server's zone
    ],
)
def test_a_day_closes_when_it_has_ended_everywhere_plus_the_grace(zones, now, closed):
    assert latest_closed_day(zones=zones, now=now, grace=GRACE) == closed


def test_periods_are_whole_weeks_and_months():
    assert period_starts("week", dt.date(2026, 3, 4), dt.date(2026, 3, 29)) == [
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 16),
        dt.date(2026, 3, 23),
    ]
    assert period_starts("month", dt.date(2026, 2, 1), dt.date(2026, 4, 29)) == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]


def test_a_member_far_west_holds_the_week_back(team, noiseless):
    members = add_members(team, 5)
    members[0].time_zone = "Pacific/Pago_Pago"  # UTC-11
    members[0].save()
    add_day(members, DAY, flow=70.0)

    team_periods_publish(now=at(DAY + dt.timedelta(days=1), 12))
    assert not PublishedTeamPeriod.objects.filter(team=team, period="week", date=WEEK).exists()

    team_periods_publish(now=at(DAY + dt.timedelta(days=1), 17, 1))
    assert week_cell(team).status == "published"


def test_a_week_publishes_each_persons_weekly_mean_once(team, manager, noiseless):
    members = add_members(team, 6)
    add_day(members, DAY, flow=70.0)
    add_day(members[:3], DAY - dt.timedelta(days=1), flow=40.0)  # three people, twice
    publish(through=DAY)
    cell = week_cell(team)

    # Each person counts once: (3 x 55 + 3 x 70) / 6, not the mean of 9 rows.
    assert cell.flow_score == pytest.approx(62.5, abs=1e-3)
    assert cell.contributors_band == "5-9 people"
    reads = {
        dashboard_rows(
            team_day_aggregates(user=manager, date_from=DAY, date_to=DAY), metric="flow_score"
        )[0]["value"]
        for _ in range(5)
    }
    assert reads == {cell.flow_score}


def test_the_noise_is_real(team):
    """With the default plan the published mean is almost never the exact one."""
    for trial in range(12):
        day = DAY - dt.timedelta(days=7 * trial)
        add_day(add_members(team, 5, prefix=f"t{trial}-"), day, flow=70.0)
    publish(through=DAY)
    values = PublishedTeamPeriod.objects.filter(
        team=team, period="week", status="published"
    ).values_list("flow_score", flat=True)
    exact = sum(1 for v in values if abs(v - 70.0) < 0.05)
    assert len(values) == 12
    assert exact <= 1


def test_what_a_week_costs_is_charged_to_each_contributor_once(team):
    members = add_members(team, 6)
    add_day(members[:5], DAY, flow=70.0)
    add_day(members[:5], DAY - dt.timedelta(days=1), flow=70.0)  # two days: one release
    publish(through=DAY)
    plan = Plan.from_settings()

    # March: the week (February's roster band is charged to February).
    spent = dict(PrivacySpend.objects.filter(month=MARCH).values_list("user__username", "epsilon"))
    assert spent == {m.username: pytest.approx(plan.week_cost) for m in members[:5]}
    assert week_cell(team).epsilon_spent == pytest.approx(plan.week_cost)
    assert PrivacySpend.objects.get(user=members[0], month=MARCH).releases == 1
    assert person_budget(members[5].pk, month=DAY).epsilon_month == 0  # did not check in


def test_suppressed_weeks_release_nothing_and_spend_nothing(team, noiseless):
    add_day(add_members(team, 4), DAY, flow=10.0)
    publish(through=DAY)
    cell = week_cell(team)

    assert cell.status == "suppressed"
    assert (cell.flow_score, cell.participation_band, cell.at_risk_share) == (None, "", None)
    assert cell.epsilon_spent == 0
    assert not PrivacySpend.objects.filter(month=MARCH).exists()


def test_a_month_charges_the_roster_band_to_every_member(team):
    members = add_members(team, 6)
    add_day(members[:5], DAY, flow=70.0)
    publish(through=dt.date(2026, 3, 31))
    plan = Plan.from_settings()

    month = PublishedTeamPeriod.objects.get(team=team, period="month", date=MARCH)
    assert month.status == "published"
    # A noisy band of the roster (6): off by a band at most, nearly always.
    assert month.members_band in ("fewer than 5", "5-9 people", "10-19 people")
    assert month.fatigue is None  # a 6-person team gets no monthly components
    spent = dict(PrivacySpend.objects.filter(month=MARCH).values_list("user__username", "epsilon"))
    assert spent[members[5].username] == pytest.approx(plan.month_roster)  # roster only
    # A contributor: the week, the roster and nothing else (no monthly components).
    assert spent[members[0].username] == pytest.approx(plan.week_cost + plan.month_roster)


def test_a_release_that_would_pass_a_persons_cap_is_withheld(settings, team, manager):
    settings.PRIVACY_CAP_MONTH = 2.5 * Plan.from_settings().week_cost  # room for two weeks
    members = add_members(team, 5)
    first_week = week_of(MARCH) + dt.timedelta(days=7)  # the first whole week in March
    for week in range(4):
        add_day(members, first_week + dt.timedelta(days=7 * week))
    publish(through=first_week + dt.timedelta(days=27))

    statuses = list(
        PublishedTeamPeriod.objects.filter(team=team, period="week", date__gte=first_week)
        .order_by("date")
        .values_list("status", flat=True)
    )
    assert statuses == ["published", "published", "budget", "budget"]
    assert max(PrivacySpend.objects.values_list("epsilon", flat=True)) <= (
        settings.PRIVACY_CAP_MONTH + 1e-9
    )
    rows = dashboard_rows(
        team_day_aggregates(
            user=manager, date_from=first_week, date_to=first_week + dt.timedelta(days=27)
        ),
        metric="flow_score",
    )
    assert rows[2]["value"] is None
    assert "privacy budget" in rows[2]["note"]


def test_the_year_cap_holds_across_months(settings, team):
    plan = Plan.from_settings()
    settings.PRIVACY_CAP_YEAR = 3.5 * plan.week_cost
    settings.PRIVACY_EPSILON_MONTH_ROSTER = 1e-9  # the roster band: next to nothing
    members = add_members(team, 5)
    mondays = [dt.date(2026, 1, 5) + dt.timedelta(days=14 * i) for i in range(6)]
    for monday in mondays:
        add_day(members, monday)
    publish(through=dt.date(2026, 3, 22))

    published = PublishedTeamPeriod.objects.filter(team=team, period="week", status="published")
    assert published.count() == 3
    spent = PrivacySpend.objects.filter(user=members[0], month__year=2026)
    assert sum(spent.values_list("epsilon", flat=True)) <= settings.PRIVACY_CAP_YEAR + 1e-9


def test_moving_team_keeps_the_persons_spending(settings, team):
    """Someone who counts in two teams in one month pays for both: the ledger is per person."""
    settings.PRIVACY_CAP_MONTH = 1.5 * Plan.from_settings().week_cost
    other = TeamFactory(name="Elsewhere")
    movers = add_members(team, 5)
    add_day(movers, DAY - dt.timedelta(days=7), flow=70.0)
    for mover in movers:
        mover.team = other
        mover.save()
    add_day(movers, DAY, flow=70.0)
    publish(through=DAY)

    assert week_cell(team, WEEK - dt.timedelta(days=7)).status == "published"
    assert week_cell(other).status == "budget"


def test_the_plan_fits_the_default_caps():
    plan = Plan.from_settings()
    assert plan.worst_month <= settings.PRIVACY_CAP_MONTH
    assert 53 * plan.week_cost + 12 * (plan.worst_month - 5 * plan.week_cost) <= (
        settings.PRIVACY_CAP_YEAR
    )


def test_the_at_risk_share_counts_alerts_open_at_the_end_of_that_day():
    opened = at(DAY, 9)
    lookup = AtRiskLookup(
        [
            (1, opened, None),  # open since the morning of DAY
            (2, at(DAY + dt.timedelta(days=1), 9), None),  # raised the day after
            (3, at(DAY - dt.timedelta(days=5), 9), at(DAY, 8)),  # resolved during DAY
            (4, at(DAY - dt.timedelta(days=5), 9), at(DAY + dt.timedelta(days=2), 0)),
        ]
    )
    assert lookup.count([1, 2, 3, 4, 5], DAY) == 2  # users 1 and 4
    assert lookup.count([1, 2, 3, 4, 5], DAY + dt.timedelta(days=1)) == 3  # 1, 2 and 4


def test_a_backfill_does_not_lend_an_old_month_todays_alerts(settings, team, noiseless):
    settings.PRIVACY_MONTH_MIN_GROUP = 5
    members = add_members(team, 5)
    add_day(members, DAY, flow=70.0)
    for member in members:  # raised long after March, before March is first published
        BurnoutAlert.objects.create(
            scope="individual",
            user=member,
            rule="low_flow",
            severity="medium",
            message="m",
            window_start=DAY,
            window_end=DAY,
        )
    publish(through=dt.date(2026, 3, 31))

    month = PublishedTeamPeriod.objects.get(team=team, period="month", date=MARCH)
    assert month.at_risk_share == 0
    assert month.at_risk_band == "under 30%"


def test_the_command_is_idempotent_and_says_what_it_did(team, noiseless):
    day = last_week_end(dt.date.today())
    add_day(add_members(team, 5), day)
    out = StringIO()
    call_command("publish_aggregates", stdout=out)
    call_command("publish_aggregates", stdout=out)

    first, second = out.getvalue().strip().splitlines()
    assert first.startswith("Published ") and "suppressed" in first
    assert second.startswith("Published 0 team periods, 0 suppressed")
    assert week_cell(team, week_of(day)).status == "published"


def test_celery_beat_publishes_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["publish-team-days"]
    assert entry["task"] == "teams.tasks.publish_team_days"
    assert entry["schedule"].minute == {15}
    assert len(entry["schedule"].hour) == 24


def test_the_task_publishes(team, noiseless):
    from teams.tasks import publish_team_days

    add_day(add_members(team, 5), last_week_end(dt.date.today()))
    result = publish_team_days.run()

    assert result["published"] >= 1
    assert publish_team_days.run()["published"] == 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_parallel_publications_publish_and_charge_each_week_once(team):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL (set DATABASE_URL).")
    members = add_members(team, 6)
    add_day(members, DAY, flow=70.0)
    errors = run_at_once(lambda: team_periods_publish(now=closing_time(DAY), announce=False))
    assert errors == []
    assert PublishedTeamPeriod.objects.filter(team=team, period="week", date=WEEK).count() == 1
    assert DailyMetric.objects.filter(team=team, date=DAY).count() == 6
    assert PrivacySpend.objects.get(user=members[0], month=MARCH).releases == 1
