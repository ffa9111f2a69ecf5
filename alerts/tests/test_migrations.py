"""The data migration that strips exact counts from team alerts raised before publication."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from alerts.models import BurnoutAlert

pytestmark = pytest.mark.django_db

migration = importlib.import_module("alerts.migrations.0002_team_alerts_without_counts")


def test_it_removes_exact_counts_from_old_team_alerts_only(team, employee):
    day = dt.date(2026, 11, 1)
    old = BurnoutAlert.objects.create(
        scope="team",
        team=team,
        rule="team_low_flow",
        severity="medium",
        message="The team's average FlowScore is 41.2 (below 50), across 7 contributors.",
        snapshot={"mean_flow": 41.2, "contributors": 7},
        window_start=day,
        window_end=day,
    )
    mine = BurnoutAlert.objects.create(
        scope="individual",
        user=employee,
        rule="low_flow",
        severity="medium",
        message="Your average FlowScore over the last 7 days is 38.0, over 5 days of check-ins.",
        snapshot={"mean_flow": 38.0, "days": 5},
        window_start=day,
        window_end=day,
    )

    migration.drop_counts(apps, None)

    old.refresh_from_db()
    mine.refresh_from_db()
    assert old.message == "The team's average FlowScore is 41.2 (below 50)."
    assert old.snapshot == {"mean_flow": 41.2}
    assert mine.snapshot == {"mean_flow": 38.0, "days": 5}
