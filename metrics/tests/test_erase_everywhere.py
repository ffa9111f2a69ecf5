"""Erasing my data removes it everywhere it was derived into, not only from my own tables."""

import datetime as dt

from django.utils import timezone

from alerts.models import BurnoutAlert
from metrics.models import DailyMetric
from metrics.services import my_data_erase
from teams.models import TeamDayStatBuild
from teams.services import team_day_stats_build


def _alert(**fields) -> BurnoutAlert:
    today = timezone.localdate()
    return BurnoutAlert.objects.create(
        severity=BurnoutAlert.Severity.MEDIUM,
        message="m",
        window_start=today - dt.timedelta(days=6),
        window_end=today,
        **fields,
    )


def test_erase_deletes_my_individual_alerts_only(employee, teammate, team):
    mine = _alert(scope="individual", user=employee, rule="low_flow")
    theirs = _alert(scope="individual", user=teammate, rule="low_flow")
    team_alert = _alert(scope="team", team=team, rule="team_low_flow")

    result = my_data_erase(user=employee)

    assert result["alerts"] == 1
    assert not BurnoutAlert.objects.filter(pk=mine.pk).exists()
    assert BurnoutAlert.objects.filter(pk__in=[theirs.pk, team_alert.pk]).count() == 2


def test_erase_marks_the_team_rollup_of_my_days_stale(employee, team):
    past = timezone.localdate() - dt.timedelta(days=20)
    DailyMetric.objects.create(user=employee, team=team, date=past, flow_score=50, checkin_count=1)
    team_day_stats_build(dates=[past])
    assert TeamDayStatBuild.objects.filter(date=past).exists()

    my_data_erase(user=employee)

    assert not TeamDayStatBuild.objects.filter(date=past).exists()
