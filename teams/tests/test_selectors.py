import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import DailyMetric
from teams.cells import UNPUBLISHED
from teams.models import PublishedTeamPeriod
from teams.privacy import contributor_band
from teams.selectors import (
    dashboard_rows,
    team_day_aggregates,
    team_summaries,
)
from tests.factories import TeamFactory, UserFactory

from .helpers import DAY, add_day, add_members, publish, week_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("noiseless")]


def aggregates_for(user, *, days: int = 1, end: dt.date = DAY, **kwargs):
    """What ``user`` sees once every day up to ``end`` has been published."""
    publish(through=end)
    return read(user, days=days, end=end, **kwargs)


def read(user, *, days: int = 1, end: dt.date = DAY, **kwargs):
    return team_day_aggregates(
        user=user, date_from=end - dt.timedelta(days=days - 1), date_to=end, **kwargs
    )


@pytest.mark.parametrize(
    ("contributors", "shown"),
    [(4, False), (5, True), (6, True)],
    ids=["k-1", "k", "k+1"],
)
def test_it_suppresses_cells_below_min_group_size(team, manager, contributors, shown):
    members = add_members(team, 8)
    add_day(members[:contributors], DAY, flow=64.0)

    cell = aggregates_for(manager).cell(team.id, DAY)

    assert cell.suppressed is (not shown)
    if shown:
        assert cell.values["flow_score"] == pytest.approx(64.0, abs=1e-3)
        assert cell.participation_band == "50-74%" if contributors < 6 else "75% or more"
        assert cell.band == "5-9 people"
    else:
        assert all(v is None for v in cell.values.values())
        assert cell.band == "fewer than 5"


def test_it_follows_the_min_group_size_setting(settings, team, manager):
    settings.MIN_GROUP_SIZE = 7
    add_day(add_members(team, 7)[:6], DAY)

    assert aggregates_for(manager).cell(team.id, DAY).suppressed


def test_it_suppresses_a_component_that_fewer_people_reported(settings, team, manager):
    settings.PRIVACY_MONTH_MIN_GROUP = 5  # monthly components for a team this small
    members = add_members(team, 6)
    add_day(members[:4], DAY, flow=60.0, fatigue=0.5, burnout=0.2)
    add_day(members[4:], DAY, flow=80.0, fatigue=None, burnout=0.2)
    end_of_month = dt.date(2026, 3, 31)

    week = aggregates_for(manager, end=end_of_month, days=31).cell(team.id, DAY).values
    month = read(manager, end=end_of_month, days=31, period="month").cell(team.id, DAY).values

    assert week["flow_score"] == pytest.approx(200 / 3, abs=1e-3)
    assert week["fatigue"] is None  # components are published by month
    assert month["flow_score"] is None  # and the FlowScore by week
    assert month["burnout"] == pytest.approx(0.2, abs=1e-3)
    assert month["fatigue"] is None  # only 4 people have a fatigue score


def test_monthly_components_wait_for_a_team_large_enough(team, manager):
    """Under the default plan a 6-person team gets its weekly FlowScore, and no monthly
    component: that much noise on six people would be unreadable."""
    add_day(add_members(team, 6), DAY, flow=60.0, fatigue=0.5)
    end_of_month = dt.date(2026, 3, 31)
    publish(through=end_of_month)

    month = read(manager, end=end_of_month, days=31, period="month")
    row = dashboard_rows(month, metric="fatigue")[0]

    assert row["value"] is None and row["period"] == "month"
    assert "teams of 20 or more" in row["note"]


def test_it_never_lets_a_suppressed_week_be_recovered_by_subtraction(team, manager):
    """Totals come from shown cells only: the range mean and the trend ignore the hidden week."""
    members = add_members(team, 10)
    hidden_week = week_of(DAY)
    add_day(members[:6], DAY - dt.timedelta(days=14), flow=80.0)
    add_day(members[:6], DAY - dt.timedelta(days=7), flow=80.0)
    add_day(members[:4], DAY, flow=20.0)

    aggregates = aggregates_for(manager, days=15)
    summary = team_summaries(aggregates, metric="flow_score")[0]
    rows = {row["date"]: row for row in dashboard_rows(aggregates, metric="flow_score")}

    assert rows[hidden_week]["value"] is None
    assert rows[hidden_week]["participation"] == ""
    # Were the hidden week included, the mean would be (6*80*2 + 4*20) / 16 = 65.
    assert summary["mean"] == pytest.approx(80.0, abs=1e-3)
    assert summary["days_suppressed"] == 1
    assert aggregates.rolling_mean(team.id, hidden_week, "flow_score") == pytest.approx(80.0)


def test_it_computes_participation_over_active_employees_of_the_team(team, manager, other_team):
    members = add_members(team, 8)
    UserFactory(username="gone", team=team, is_active=False)
    add_members(other_team, 5)
    add_day(members[:5], DAY)

    aggregates = aggregates_for(manager, end=dt.date(2026, 3, 31), days=31)

    # The roster, as its monthly noisy band (noiseless here), never as a head count.
    assert aggregates.teams[0].members == "5-9 people"
    # 5 of 8 is 62.5%: published as its band only, drawn with the band's middle.
    cell = aggregates.cell(team.id, DAY)
    assert cell.participation_band == "50-74%"
    assert cell.values["participation"] == 0.625


def test_it_shows_a_manager_only_the_teams_they_manage(team, other_team, manager, admin_user):
    add_day(add_members(team, 5), DAY)
    add_day(add_members(other_team, 5), DAY)

    assert [t.id for t in aggregates_for(manager).teams] == [team.id]
    assert {t.id for t in aggregates_for(admin_user).teams} == {team.id, other_team.id}
    with pytest.raises(PermissionDenied):
        aggregates_for(manager, team_ids=[other_team.id])


def test_it_refuses_employees(employee):
    with pytest.raises(PermissionDenied):
        aggregates_for(employee)


def test_it_uses_lead_in_weeks_for_the_first_trends(team, manager):
    members = add_members(team, 5)
    for back in range(1, 4):
        add_day(members, DAY - dt.timedelta(days=7 * back), flow=50.0)

    aggregates = aggregates_for(manager, days=1)

    assert aggregates.dates == [week_of(DAY)]
    assert aggregates.rolling_mean(team.id, DAY, "flow_score") == pytest.approx(50.0, abs=1e-3)


def test_contributor_bands_hide_exact_counts():
    assert contributor_band(0, k=5) == "fewer than 5"
    assert contributor_band(9, k=5) == "5-9 people"
    assert contributor_band(10, k=5) == "10-19 people"
    assert contributor_band(1500, k=5) == "1000+ people"
    assert contributor_band(12, k=12) == "12-19 people"


def test_it_returns_no_teams_for_a_manager_without_teams(db):
    lonely = UserFactory(username="lonely", role="manager", team=None)
    assert aggregates_for(lonely).teams == []


def test_it_keeps_other_teams_out_of_a_managers_cells(team, other_team, manager):
    add_day(add_members(other_team, 6), DAY, flow=10.0)
    TeamFactory(name="Unmanaged")

    aggregates = aggregates_for(manager)

    assert all(cell.values["flow_score"] is None for cell in aggregates.cells.values())


def test_a_day_is_not_shown_before_it_is_published(team, manager):
    members = add_members(team, 6)
    add_day(members, DAY, flow=70.0)

    cell = read(manager).cell(team.id, DAY)

    assert cell.status == UNPUBLISHED
    assert all(v is None for v in cell.values.values())
    row = dashboard_rows(read(manager), metric="flow_score")[0]
    assert row["value"] is None
    assert row["participation"] == ""
    assert row["contributors"] == "not published"
    assert "not published yet" in row["note"]


def test_a_published_day_never_changes(team, manager):
    """Late check-ins, erasure and team moves after publication leave the cell as it was."""
    members = add_members(team, 7)
    add_day(members[:6], DAY, flow=60.0)
    before = aggregates_for(manager).cell(team.id, DAY)

    DailyMetric.objects.create(user=members[6], team=team, date=DAY, flow_score=100.0)
    members[0].daily_metrics.all().delete()
    members[1].team = TeamFactory(name="Elsewhere")
    members[1].save()
    members[2].time_zone = "Pacific/Kiritimati"
    members[2].save()
    publish(through=DAY + dt.timedelta(days=3))

    assert read(manager).cell(team.id, DAY) == before


def test_publishing_twice_publishes_each_day_once(team, manager):
    add_day(add_members(team, 5), DAY)
    first = publish(through=DAY)
    again = publish(through=DAY)

    assert first.cells > 0
    assert again.cells == 0
    assert PublishedTeamPeriod.objects.filter(team=team, date=week_of(DAY)).count() == 1


def test_reading_the_dashboard_never_writes(team, manager):
    add_day(add_members(team, 5), DAY)
    publish(through=DAY)
    with CaptureQueriesContext(connection) as queries:
        read(manager, days=30)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert set(statements) == {"SELECT"}
