"""Evaluation service: creation, idempotency, update, resolution, team rules, query count."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from alerts import services as alerts_services
from alerts.models import BurnoutAlert
from alerts.services import alerts_evaluate, alerts_evaluate_for_user
from metrics.models import DailyMetric
from tests.factories import TeamFactory, UserFactory

from .conftest import ON, add_days

pytestmark = pytest.mark.django_db

HEALTHY = [80.0] * 14
LOW = [80.0] * 7 + [35.0] * 7  # low_flow (medium) and decline


def rules_of(**filters) -> set[str]:
    return set(BurnoutAlert.objects.filter(**filters).values_list("rule", flat=True))


def test_it_creates_individual_alerts(employee):
    add_days(employee, LOW)
    result = alerts_evaluate(on_date=ON)
    assert result["individual"]["created"] == 2
    alerts = BurnoutAlert.objects.filter(user=employee)
    assert {a.rule for a in alerts} == {"low_flow", "decline"}
    low = alerts.get(rule="low_flow")
    assert (low.scope, low.severity, low.status) == ("individual", "medium", "open")
    assert low.team_id is None
    assert low.snapshot == {"mean_flow": 35.0, "days": 7}
    assert (low.window_start, low.window_end) == (ON - dt.timedelta(days=6), ON)
    assert alerts.get(rule="decline").window_start == ON - dt.timedelta(days=13)


def test_sustained_risk_from_burnout(employee):
    add_days(employee, [70.0] * 5, burnout=[0.9, 0.8, 0.1, 0.75, 0.2])
    alerts_evaluate(on_date=ON)
    alert = BurnoutAlert.objects.get(user=employee)
    assert (alert.rule, alert.severity) == ("sustained_risk", "high")


def test_healthy_users_get_nothing(employee):
    add_days(employee, HEALTHY, burnout=[0.2] * 14)
    alerts_evaluate(on_date=ON)
    assert not BurnoutAlert.objects.exists()


def test_running_twice_creates_nothing_new(crew):
    for user in crew:
        add_days(user, LOW, burnout=[0.9] * 14)
    first = alerts_evaluate(on_date=ON)
    snapshot = list(BurnoutAlert.objects.order_by("pk").values())
    second = alerts_evaluate(on_date=ON)
    assert first["individual"]["created"] == 15
    assert first["team"]["created"] == 3
    assert second["individual"] == {"created": 0, "updated": 0, "escalated": 0, "resolved": 0}
    assert second["team"] == {"created": 0, "updated": 0, "escalated": 0, "resolved": 0}
    assert list(BurnoutAlert.objects.order_by("pk").values()) == snapshot


def test_an_open_alert_is_updated_in_place_and_escalates(employee):
    add_days(employee, [38.0] * 7)
    alerts_evaluate(on_date=ON)
    alert = BurnoutAlert.objects.get(user=employee, rule="low_flow")
    assert alert.severity == "medium"

    DailyMetric.objects.filter(user=employee).update(flow_score=20.0)
    result = alerts_evaluate(on_date=ON)
    assert result["individual"]["updated"] == 1
    assert result["individual"]["escalated"] == 1
    alert.refresh_from_db()
    assert alert.severity == "high"
    assert alert.snapshot["mean_flow"] == 20.0
    assert BurnoutAlert.objects.filter(user=employee).count() == 1


def test_an_escalation_reopens_an_acknowledged_team_alert(team, crew, manager):
    for user in crew:
        add_days(user, [45.0] * 7)
    alerts_evaluate(on_date=ON)
    alert = BurnoutAlert.objects.get(rule="team_low_flow")
    alerts_services.alert_acknowledge(alert=alert, user=manager)

    DailyMetric.objects.update(flow_score=44.0)  # still low, same severity: stays acknowledged
    alerts_evaluate(on_date=ON)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.snapshot["mean_flow"]) == (
        "acknowledged",
        manager,
        44.0,
    )

    alert.severity = "low"  # as if raised at a lower severity; medium is now an escalation
    alert.save()
    alerts_evaluate(on_date=ON)
    alert.refresh_from_db()
    assert (alert.status, alert.severity, alert.acknowledged_by) == ("open", "medium", None)


def test_next_day_moves_the_window_of_the_same_alert(employee):
    add_days(employee, [30.0] * 7, end=ON - dt.timedelta(days=1))
    alerts_evaluate(on_date=ON - dt.timedelta(days=1))
    add_days(employee, [30.0], end=ON)
    alerts_evaluate(on_date=ON)
    alert = BurnoutAlert.objects.get(user=employee, rule="low_flow")
    assert alert.window_end == ON


def test_it_resolves_when_the_condition_clears(employee):
    add_days(employee, [30.0] * 7)
    alerts_evaluate(on_date=ON)
    DailyMetric.objects.filter(user=employee).update(flow_score=75.0)
    result = alerts_evaluate(on_date=ON)
    assert result["individual"]["resolved"] == 1
    alert = BurnoutAlert.objects.get(user=employee)
    assert alert.status == "resolved"
    assert alert.resolved_at is not None

    # Firing again later opens a new alert; the resolved one stays as history.
    DailyMetric.objects.filter(user=employee).update(flow_score=30.0)
    alerts_evaluate(on_date=ON)
    assert BurnoutAlert.objects.filter(user=employee).count() == 2
    assert BurnoutAlert.objects.filter(user=employee, status="open").count() == 1


def test_alerts_resolve_when_data_leaves_the_window(employee):
    add_days(employee, [30.0] * 7)
    alerts_evaluate(on_date=ON)
    alerts_evaluate(on_date=ON + dt.timedelta(days=10))
    assert BurnoutAlert.objects.get(user=employee).status == "resolved"


def test_scoped_evaluation_leaves_other_users_alone(employee, teammate):
    add_days(employee, [30.0] * 7)
    add_days(teammate, [30.0] * 7)
    alerts_evaluate(on_date=ON)
    DailyMetric.objects.update(flow_score=90.0)
    alerts_evaluate(on_date=ON, user_ids=[employee.pk], team_ids=[])
    assert BurnoutAlert.objects.get(user=employee).status == "resolved"
    assert BurnoutAlert.objects.get(user=teammate).status == "open"


class TestTeamAlerts:
    def test_team_alerts_need_min_group_size(self, team, employee, teammate, settings):
        for user in [employee, teammate, *[UserFactory(team=team) for _ in range(2)]]:
            add_days(user, [30.0] * 14)
        alerts_evaluate(on_date=ON)
        assert not BurnoutAlert.objects.filter(scope="team").exists()

        settings.MIN_GROUP_SIZE = 4
        alerts_evaluate(on_date=ON)
        assert rules_of(scope="team") == {"team_low_flow", "team_at_risk"}

    def test_team_rules_fire_with_aggregates_only(self, team, crew):
        for user in crew:
            add_days(user, [75.0] * 7 + [62.0] * 7)
        # Two members with a low-flow alert each: 2 of 5 = 40% at risk.
        DailyMetric.objects.filter(user__in=crew[:2], date__gt=ON - dt.timedelta(days=7)).update(
            flow_score=20.0
        )
        alerts_evaluate(on_date=ON)
        team_alerts = BurnoutAlert.objects.filter(scope="team", team=team)
        assert {a.rule for a in team_alerts} == {"team_low_flow", "team_decline", "team_at_risk"}
        at_risk = team_alerts.get(rule="team_at_risk")
        assert at_risk.snapshot == {"share_at_risk_band": "30-49%", "contributors": 5}
        assert "30-49%" in at_risk.message
        for alert in team_alerts:
            assert alert.user_id is None
            text = alert.message + str(alert.snapshot)
            for member in crew:
                assert member.username not in text
            # No individual value (20 or 62) leaks; only the team mean 45.2.
            assert "20.0" not in text
            assert "62.0" not in text
        low = team_alerts.get(rule="team_low_flow")
        assert low.snapshot == {"mean_flow": 45.2, "contributors": 5}

    def test_team_at_risk_below_share(self, team, crew):
        for user in crew:
            add_days(user, [75.0] * 7)
        DailyMetric.objects.filter(user=crew[0]).update(flow_score=20.0)
        alerts_evaluate(on_date=ON)
        assert not BurnoutAlert.objects.filter(rule="team_at_risk").exists()

    def test_after_checkin_evaluates_the_user_and_team_only(self, team, crew, other_team):
        others = [UserFactory(team=other_team) for _ in range(5)]
        for user in [*crew, *others]:
            add_days(user, [30.0] * 7)
        result = alerts_evaluate_for_user(user_id=crew[0].pk, on_date=ON)
        assert result["individual"]["created"] == 1
        assert rules_of(scope="individual") == {"low_flow"}
        assert set(BurnoutAlert.objects.values_list("user_id", flat=True)) - {None} == {crew[0].pk}
        assert set(BurnoutAlert.objects.filter(scope="team").values_list("team_id", flat=True)) == {
            team.pk
        }

    def test_after_checkin_for_a_deleted_user_is_harmless(self):
        assert alerts_evaluate_for_user(user_id=987654, on_date=ON)["skipped"]


class TestConstraint:
    def test_one_active_alert_per_user_and_rule(self, employee):
        fields = dict(
            scope="individual",
            user=employee,
            rule="low_flow",
            severity="medium",
            message="m",
            window_start=ON,
            window_end=ON,
        )
        BurnoutAlert.objects.create(**fields)
        BurnoutAlert.objects.create(**fields, status="resolved")
        with pytest.raises(IntegrityError), transaction.atomic():
            BurnoutAlert.objects.create(**fields, status="acknowledged")

    def test_one_active_alert_per_team_and_rule(self, team):
        fields = dict(
            scope="team",
            team=team,
            rule="team_low_flow",
            severity="medium",
            message="m",
            window_start=ON,
            window_end=ON,
        )
        BurnoutAlert.objects.create(**fields)
        with pytest.raises(IntegrityError), transaction.atomic():
            BurnoutAlert.objects.create(**fields)

    def test_scope_matches_target(self, employee, team):
        with pytest.raises(IntegrityError), transaction.atomic():
            BurnoutAlert.objects.create(
                scope="team",
                user=employee,
                team=team,
                rule="team_low_flow",
                severity="medium",
                message="m",
                window_start=ON,
                window_end=ON,
            )


def _population(n_teams: int, per_team: int) -> None:
    for t in range(n_teams):
        team = TeamFactory(name=f"Scale {n_teams}-{t}")
        for i, user in enumerate(UserFactory.create_batch(per_team, team=team)):
            flows = LOW if i % 5 == 1 else HEALTHY
            add_days(user, flows, burnout=[0.8 if i % 10 == 0 else 0.2] * 14)


def test_query_count_does_not_grow_with_employees():
    # Alert counts stay below one SQLite insert batch (999 parameters); PostgreSQL has no
    # such split, so there the count is constant whatever the number of alerts.
    _population(2, 5)
    with CaptureQueriesContext(connection) as small:
        alerts_evaluate(on_date=ON)
    small_alerts = BurnoutAlert.objects.count()
    assert BurnoutAlert.objects.filter(scope="team").exists()
    BurnoutAlert.objects.all().delete()
    _population(8, 10)
    with CaptureQueriesContext(connection) as large:
        alerts_evaluate(on_date=ON)
    assert BurnoutAlert.objects.count() > 3 * small_alerts
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 15
