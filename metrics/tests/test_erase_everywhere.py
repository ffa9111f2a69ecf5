"""Erasing my data removes it everywhere it was derived into, not only from my own tables."""

import datetime as dt

from django.utils import timezone

from alerts.models import BurnoutAlert
from metrics.models import DailyMetric
from metrics.services.erasure import my_data_erase
from teams.models import PublishedTeamPeriod
from teams.tests.helpers import DAY, add_day, add_members, publish


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


def test_erase_keeps_published_team_days_as_they_were(employee, team):
    """Published team aggregates are anonymous statistics: rewriting them without me would
    let a manager subtract the two versions and recover my numbers."""
    members = [employee, *add_members(team, 5)]
    add_day(members, DAY, flow=55.0)
    publish(through=DAY)
    before = list(PublishedTeamPeriod.objects.filter(team=team).values())

    my_data_erase(user=employee)

    assert not DailyMetric.objects.filter(user=employee).exists()
    assert list(PublishedTeamPeriod.objects.filter(team=team).values()) == before
