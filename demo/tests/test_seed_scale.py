import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from metrics.models import DailyMetric
from teams.models import PublishedTeamPeriod, Team
from teams.tests.helpers import last_week_end, week_of

pytestmark = pytest.mark.django_db

ARGS = ["--employees", "40", "--teams", "4", "--days", "6", "--end-date", "2026-03-10"]


def snapshot() -> list[tuple]:
    return list(
        DailyMetric.objects.order_by("user__username", "date").values_list(
            "user__username", "team__name", "date", "flow_score", "fatigue", "stress", "burnout"
        )
    )


def test_it_creates_teams_managers_employees_and_daily_metrics():
    call_command("seed_scale", *ARGS)

    assert Team.objects.filter(name__startswith="scale-t").count() == 4
    assert User.objects.filter(username__startswith="scale-e", role="employee").count() == 40
    for team in Team.objects.filter(name__startswith="scale-t"):
        assert team.managers.count() == 1
        assert team.members.count() >= 1
    assert User.objects.get(username="scale-admin").is_admin_role
    rows = DailyMetric.objects.count()
    assert 0.85 * 40 * 6 <= rows <= 40 * 6
    dates = DailyMetric.objects.values_list("date", flat=True)
    assert min(dates) == dt.date(2026, 3, 5)
    assert max(dates) == dt.date(2026, 3, 10)
    row = DailyMetric.objects.first()
    assert row.team_id == row.user.team_id
    assert 0 <= row.flow_score <= 100


def test_it_is_deterministic_and_idempotent(capsys):
    call_command("seed_scale", *ARGS, "--seed", "3")
    first = snapshot()
    call_command("seed_scale", *ARGS, "--seed", "3")
    assert "already present" in capsys.readouterr().out
    assert snapshot() == first

    call_command("seed_scale", *ARGS, "--seed", "3", "--reset")
    assert snapshot() == first
    call_command("seed_scale", *ARGS, "--seed", "4", "--reset")
    assert snapshot() != first


def test_reset_leaves_other_users_and_teams_alone(employee):
    call_command("seed_scale", *ARGS)
    call_command("seed_scale", *ARGS, "--reset")
    assert User.objects.filter(pk=employee.pk).exists()
    assert Team.objects.filter(pk=employee.team_id).exists()


def test_it_publishes_the_closed_weeks_of_the_scale_teams_only(capsys, employee):
    end = last_week_end(timezone.localdate())
    args = ["--employees", "60", "--teams", "3", "--days", "7", "--end-date", end.isoformat()]
    call_command("seed_scale", *args)

    assert "Published " in capsys.readouterr().out
    seeded_week = week_of(end)
    for team in Team.objects.filter(name__startswith="scale-t"):
        weeks = set(
            PublishedTeamPeriod.objects.filter(team=team, period="week").values_list(
                "date", flat=True
            )
        )
        assert seeded_week in weeks  # the seeded week has closed by now, for UTC members
        assert week_of(timezone.localdate()) not in weeks  # this week has not
    assert PublishedTeamPeriod.objects.filter(
        status=PublishedTeamPeriod.Status.PUBLISHED, period="week", date=seeded_week
    ).exists()
    assert not PublishedTeamPeriod.objects.filter(team_id=employee.team_id).exists()

    frozen = list(PublishedTeamPeriod.objects.order_by("pk").values())
    call_command("seed_scale", *args)
    assert "Published 0 team periods, 0 suppressed" in capsys.readouterr().out
    assert list(PublishedTeamPeriod.objects.order_by("pk").values()) == frozen


def test_it_refuses_impossible_shapes():
    with pytest.raises(CommandError, match="one employee per team"):
        call_command("seed_scale", "--employees", "3", "--teams", "5")
    assert not Team.objects.exists()
