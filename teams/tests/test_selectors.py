import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from metrics.models import DailyMetric
from teams.models import TeamDayStat, TeamDayStatBuild
from teams.selectors import (
    contributor_band,
    dashboard_rows,
    team_day_aggregates,
    team_summaries,
)
from teams.services import team_day_stats_invalidate
from tests.factories import TeamFactory, UserFactory

from .helpers import DAY, add_day, add_members

pytestmark = pytest.mark.django_db


def aggregates_for(user, *, days: int = 1, end: dt.date = DAY, **kwargs):
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
        assert cell.values["flow_score"] == 64.0
        assert cell.values["participation"] == round(contributors / 8, 4)
        assert cell.band == "5-9 people"
    else:
        assert all(v is None for v in cell.values.values())
        assert cell.band == "fewer than 5"


def test_it_follows_the_min_group_size_setting(settings, team, manager):
    settings.MIN_GROUP_SIZE = 7
    add_day(add_members(team, 7)[:6], DAY)

    assert aggregates_for(manager).cell(team.id, DAY).suppressed


def test_it_suppresses_a_component_that_fewer_people_reported(team, manager):
    members = add_members(team, 6)
    add_day(members[:4], DAY, flow=60.0, fatigue=0.5)
    add_day(members[4:], DAY, flow=80.0, fatigue=None)

    values = aggregates_for(manager).cell(team.id, DAY).values

    assert values["flow_score"] == pytest.approx(200 / 3, abs=1e-3)
    assert values["fatigue"] is None  # only 4 people have a fatigue score


def test_it_never_lets_a_suppressed_day_be_recovered_by_subtraction(team, manager):
    """Totals come from shown cells only: the range mean and rolling mean ignore the hidden day."""
    members = add_members(team, 10)
    shown_day, hidden_day = DAY - dt.timedelta(days=1), DAY
    add_day(members[:6], DAY - dt.timedelta(days=2), flow=80.0)
    add_day(members[:6], shown_day, flow=80.0)
    add_day(members[:4], hidden_day, flow=20.0)

    aggregates = aggregates_for(manager, days=3)
    summary = team_summaries(aggregates, metric="flow_score")[0]
    rows = {row["date"]: row for row in dashboard_rows(aggregates, metric="flow_score")}

    assert rows[hidden_day]["value"] is None
    assert rows[hidden_day]["participation"] is None
    # Were the hidden day included, the mean would be (6*80*2 + 4*20) / 16 = 65.
    assert summary["mean"] == 80.0
    assert summary["days_suppressed"] == 1
    assert aggregates.rolling_mean(team.id, hidden_day, "flow_score") is None  # only 2 shown days
    add_day(members[:6], DAY - dt.timedelta(days=3), flow=80.0)
    aggregates = aggregates_for(manager, days=3)
    assert aggregates.rolling_mean(team.id, hidden_day, "flow_score") == 80.0


def test_it_computes_participation_over_active_employees_of_the_team(team, manager, other_team):
    members = add_members(team, 8)
    UserFactory(username="gone", team=team, is_active=False)
    add_members(other_team, 5)
    add_day(members[:5], DAY)

    aggregates = aggregates_for(manager)

    assert aggregates.teams[0].members == 8
    assert aggregates.cell(team.id, DAY).values["participation"] == 0.625


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


def test_it_uses_lead_in_days_for_the_first_rolling_means(team, manager):
    members = add_members(team, 5)
    for back in range(1, 4):
        add_day(members, DAY - dt.timedelta(days=back), flow=50.0)

    aggregates = aggregates_for(manager, days=1)

    assert aggregates.dates == [DAY]
    assert aggregates.rolling_mean(team.id, DAY, "flow_score") == 50.0


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

    assert aggregates.cells == {}


def test_rollup_and_live_reads_give_the_same_cells(team, manager, monkeypatch):
    members = add_members(team, 7)
    for back, flow in enumerate([61.5, 70.25, 48.0]):
        add_day(members[: 5 + back], DAY - dt.timedelta(days=back), flow=flow, fatigue=0.1 * back)

    from_rollup = aggregates_for(manager, days=3)
    monkeypatch.setattr("teams.selectors.LIVE_DAYS", 10_000)
    live = aggregates_for(manager, days=3)

    assert from_rollup.cells == live.cells
    assert TeamDayStat.objects.filter(team=team).count() == 3  # the days with check-ins
    assert TeamDayStatBuild.objects.count() == 3 + 6  # range and lead-in days are built


def test_past_days_change_only_when_invalidated_and_today_at_once(team, manager):
    members = add_members(team, 6)
    today = timezone.localdate()
    past = today - dt.timedelta(days=10)
    add_day(members[:5], past, flow=50.0)
    add_day(members[:5], today, flow=50.0)
    assert aggregates_for(manager, days=11, end=today).cell(team.id, past).values["flow_score"]

    # Writes without the scoring task's invalidation: past stays as built, today is live.
    DailyMetric.objects.create(user=members[5], team=team, date=past, flow_score=80.0)
    DailyMetric.objects.create(user=members[5], team=team, date=today, flow_score=80.0)
    aggregates = aggregates_for(manager, days=11, end=today)
    assert aggregates.cell(team.id, past).values["flow_score"] == 50.0
    assert aggregates.cell(team.id, today).values["flow_score"] == 55.0

    team_day_stats_invalidate(dates=[past])
    aggregates = aggregates_for(manager, days=11, end=today)
    assert aggregates.cell(team.id, past).values["flow_score"] == 55.0


def test_an_erased_employee_leaves_past_aggregates_once_invalidated(team, manager):
    members = add_members(team, 5)
    add_day(members, DAY)
    assert not aggregates_for(manager).cell(team.id, DAY).suppressed

    dates = list(members[0].daily_metrics.values_list("date", flat=True))
    members[0].daily_metrics.all().delete()
    team_day_stats_invalidate(dates=dates)

    assert aggregates_for(manager).cell(team.id, DAY).suppressed


def test_the_nightly_rebuild_repairs_a_day_written_without_invalidation(team, manager):
    from teams.tasks import rebuild_team_day_stats

    members = add_members(team, 6)
    past = timezone.localdate() - dt.timedelta(days=5)
    add_day(members[:5], past, flow=50.0)
    aggregates_for(manager, end=past)
    DailyMetric.objects.create(user=members[5], team=team, date=past, flow_score=80.0)

    rebuild_team_day_stats()
    rebuild_team_day_stats()

    assert aggregates_for(manager, end=past).cell(team.id, past).values["flow_score"] == 55.0
