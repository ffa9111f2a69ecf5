"""Publication of team-days: when a day closes, what is released, what it costs, once only."""

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from alerts.models import BurnoutAlert
from metrics.models import DailyMetric
from teams.models import PublishedTeamDay
from teams.publication import (
    AtRiskLookup,
    latest_closed_day,
    team_days_publish,
    values_per_day,
)
from teams.selectors import dashboard_rows, team_day_aggregates
from tests.support.concurrency import run_at_once

from .helpers import DAY, add_day, add_members, closing_time, publish

pytestmark = pytest.mark.django_db

UTC = dt.UTC
GRACE = dt.timedelta(hours=6)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


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


def test_a_member_far_west_holds_the_day_back(team, noiseless):
    members = add_members(team, 5)
    members[0].time_zone = "Pacific/Pago_Pago"  # UTC-11
    members[0].save()
    add_day(members, DAY, flow=70.0)

    assert team_days_publish(now=at(DAY + dt.timedelta(days=1), 12)).cells > 0
    assert not PublishedTeamDay.objects.filter(team=team, date=DAY).exists()

    team_days_publish(now=at(DAY + dt.timedelta(days=1), 17, 1))
    assert PublishedTeamDay.objects.get(team=team, date=DAY).status == "published"


def test_it_publishes_noised_values_once_and_reads_return_them(team, manager):
    members = add_members(team, 6)
    add_day(members, DAY, flow=70.0, fatigue=0.3)
    publish(through=DAY)
    cell = PublishedTeamDay.objects.get(team=team, date=DAY)

    assert cell.epsilon_per_value == settings.PRIVACY_EPSILON_PER_VALUE
    # contributors, FlowScore sum, fatigue/stress/burnout sum + count, no at-risk source yet
    assert cell.epsilon_spent == pytest.approx(cell.epsilon_per_value * values_per_day())
    assert 0 <= cell.flow_score <= 100
    assert cell.contributors_band == "5-9 people"
    reads = {
        dashboard_rows(
            team_day_aggregates(user=manager, date_from=DAY, date_to=DAY), metric="flow_score"
        )[0]["value"]
        for _ in range(5)
    }
    assert reads == {cell.flow_score}


def test_the_noise_is_real(team, manager):
    """With the default epsilon the published mean is almost never the exact one."""
    exact = 0
    for trial in range(20):
        day = DAY - dt.timedelta(days=trial)
        add_day(add_members(team, 5, prefix=f"t{trial}-"), day, flow=70.0)
    publish(through=DAY)
    values = PublishedTeamDay.objects.filter(team=team, status="published").values_list(
        "flow_score", flat=True
    )
    exact = sum(1 for v in values if abs(v - 70.0) < 0.05)
    assert len(values) == 20
    assert exact <= 2


def test_suppressed_days_release_nothing_and_spend_nothing(team, noiseless):
    add_day(add_members(team, 4), DAY, flow=10.0)
    publish(through=DAY)
    cell = PublishedTeamDay.objects.get(team=team, date=DAY)

    assert cell.status == "suppressed"
    assert (cell.flow_score, cell.participation_band, cell.at_risk_share) == (None, "", None)
    assert cell.epsilon_spent == 0


def test_a_spent_monthly_budget_withholds_the_rest_of_the_month(settings, team, manager):
    settings.PRIVACY_MONTHLY_BUDGET = 2.5 * values_per_day() * settings.PRIVACY_EPSILON_PER_VALUE
    members = add_members(team, 5)
    first = DAY.replace(day=1)
    for offset in range(4):
        add_day(members, first + dt.timedelta(days=offset))
    publish(through=first + dt.timedelta(days=3))

    statuses = list(
        PublishedTeamDay.objects.filter(team=team, date__gte=first)
        .order_by("date")
        .values_list("status", flat=True)[:4]
    )
    spent = sum(
        PublishedTeamDay.objects.filter(team=team, date__gte=first).values_list(
            "epsilon_spent", flat=True
        )
    )
    assert statuses == ["published", "published", "budget", "budget"]
    assert spent <= settings.PRIVACY_MONTHLY_BUDGET
    rows = dashboard_rows(
        team_day_aggregates(user=manager, date_from=first, date_to=first + dt.timedelta(days=3)),
        metric="flow_score",
    )
    assert rows[2]["value"] is None
    assert "privacy budget" in rows[2]["note"]


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


def test_a_backfill_does_not_lend_old_days_todays_alerts(team, noiseless):
    members = add_members(team, 5)
    add_day(members, DAY, flow=70.0)
    for member in members:  # raised long after DAY, before DAY is first published
        BurnoutAlert.objects.create(
            scope="individual",
            user=member,
            rule="low_flow",
            severity="medium",
            message="m",
            window_start=DAY,
            window_end=DAY,
        )
    publish(through=DAY)

    cell = PublishedTeamDay.objects.get(team=team, date=DAY)
    assert cell.at_risk_share == 0
    assert cell.at_risk_band == "under 30%"


def test_the_command_is_idempotent_and_says_what_it_did(team, noiseless):
    day = dt.date.today() - dt.timedelta(days=3)
    add_day(add_members(team, 5), day)
    out = StringIO()
    call_command("publish_aggregates", stdout=out)
    call_command("publish_aggregates", stdout=out)

    first, second = out.getvalue().strip().splitlines()
    assert first.startswith("Published ") and "suppressed" in first
    assert second.startswith("Published 0 team-days, 0 suppressed")
    assert PublishedTeamDay.objects.get(team=team, date=day).status == "published"


def test_celery_beat_publishes_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["publish-team-days"]
    assert entry["task"] == "teams.tasks.publish_team_days"
    assert entry["schedule"].minute == {15}
    assert len(entry["schedule"].hour) == 24


def test_the_task_publishes(team, noiseless):
    from teams.tasks import publish_team_days

    add_day(add_members(team, 5), dt.date.today() - dt.timedelta(days=3))
    result = publish_team_days.run()

    assert result["published"] >= 1
    assert publish_team_days.run()["published"] == 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_parallel_publications_publish_each_day_once(team, noiseless):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL (set DATABASE_URL).")
    add_day(add_members(team, 6), DAY, flow=70.0)
    errors = run_at_once(lambda: team_days_publish(now=closing_time(DAY), announce=False))
    assert errors == []
    assert PublishedTeamDay.objects.filter(team=team, date=DAY).count() == 1
    assert DailyMetric.objects.filter(team=team, date=DAY).count() == 6
