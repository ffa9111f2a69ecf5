"""Evaluation service: creation, idempotency, update, resolution, team rules over published
team-days, privacy of team alerts, query count."""

import datetime as dt
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from alerts.models import BurnoutAlert
from alerts.services.acknowledgement import alert_acknowledge
from alerts.services.evaluation import (
    alerts_evaluate,
    alerts_evaluate_for_teams,
    alerts_evaluate_for_user,
)
from metrics.models import DailyMetric
from teams.models import PublishedTeamPeriod
from teams.privacy import AT_RISK_BANDS
from teams.tests.helpers import publish
from tests.factories import TeamFactory, UserFactory

from .conftest import ON, add_days, as_if_raised_on, evaluate_after_publication

pytestmark = pytest.mark.django_db

HEALTHY = [80.0] * 14
LOW = [80.0] * 7 + [35.0] * 7  # low_flow (medium) and decline
NOTHING = {"created": 0, "updated": 0, "escalated": 0, "resolved": 0}
END = dt.date(2026, 11, 30)  # the last day of ON's month: publishing through it closes it


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


@pytest.mark.usefixtures("noiseless")
def test_running_twice_creates_nothing_new(crew):
    for user in crew:
        add_days(user, LOW, burnout=[0.9] * 14)
    first = alerts_evaluate(on_date=ON)
    as_if_raised_on(ON - dt.timedelta(days=13))
    publish(through=ON)
    after_publication = alerts_evaluate(on_date=ON)
    snapshot = list(BurnoutAlert.objects.order_by("pk").values())
    again = alerts_evaluate(on_date=ON)
    assert first["individual"]["created"] == 15
    assert first["team"]["created"] == 0  # nothing published yet
    assert after_publication["individual"] == NOTHING
    assert after_publication["team"]["created"] == 2  # low flow and decline
    assert again["individual"] == NOTHING
    assert again["team"] == NOTHING
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


@pytest.mark.usefixtures("noiseless")
def test_an_escalation_reopens_an_acknowledged_team_alert(team, crew, manager):
    yesterday = ON - dt.timedelta(days=1)
    for user in crew:
        add_days(user, [45.0] * 7, end=yesterday)
    evaluate_after_publication(on_date=yesterday)
    alert = BurnoutAlert.objects.get(rule="team_low_flow")
    alert_acknowledge(alert=alert, user=manager)

    # A newly published day lowers the mean, same severity: it stays acknowledged.
    for user in crew:
        add_days(user, [38.0], end=ON)
    evaluate_after_publication(on_date=ON)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.window_end) == ("acknowledged", manager, ON)
    assert alert.snapshot == {"mean_flow": 44.0, "days_published": 7}

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


@pytest.mark.usefixtures("noiseless")
class TestTeamAlerts:
    def test_team_rules_fire_from_published_days_only(self, team, crew):
        for user in crew:
            add_days(user, [75.0] * 7 + [62.0] * 7)
        # Two members with a low-flow alert each: 2 of 5 = 40% at risk.
        DailyMetric.objects.filter(user__in=crew[:2], date__gt=ON - dt.timedelta(days=7)).update(
            flow_score=20.0
        )
        evaluate_after_publication()
        team_alerts = BurnoutAlert.objects.filter(scope="team", team=team)
        # The at-risk share is monthly, for larger teams: see the at-risk tests below.
        assert {a.rule for a in team_alerts} == {"team_low_flow", "team_decline"}
        for alert in team_alerts:
            assert alert.user_id is None
            text = alert.message + str(alert.snapshot)
            for member in crew:
                assert member.username not in text
            # No individual value (20 or 62) leaks; only the team mean 45.2.
            assert "20.0" not in text
            assert "62.0" not in text
        low = team_alerts.get(rule="team_low_flow")
        assert low.snapshot == {"mean_flow": 45.2, "days_published": 7}
        decline = team_alerts.get(rule="team_decline")
        assert (decline.snapshot["drop"], decline.snapshot["previous_days_published"]) == (29.8, 7)

    def test_nothing_fires_before_the_days_are_published(self, team, crew):
        for user in crew:
            add_days(user, [20.0] * 14)
        result = alerts_evaluate(on_date=ON)
        assert result["team"] == NOTHING
        assert not BurnoutAlert.objects.filter(scope="team").exists()

    def test_unpublished_days_are_ignored(self, team, crew):
        for user in crew:
            add_days(user, [70.0] * 4 + [20.0] * 3)
        # ON-2 to ON have not closed yet: only the four days at 70 are published.
        publish(through=ON - dt.timedelta(days=3))
        alerts_evaluate(on_date=ON)
        assert not BurnoutAlert.objects.filter(scope="team").exists()

        publish(through=ON)
        alerts_evaluate(on_date=ON)
        alert = BurnoutAlert.objects.get(scope="team")
        assert alert.rule == "team_low_flow"
        assert alert.snapshot == {"mean_flow": 48.6, "days_published": 7}

    def test_weeks_hidden_for_too_few_people_are_ignored(self, team, employee, teammate):
        four = [employee, teammate, *[UserFactory(team=team) for _ in range(2)]]
        for user in four:
            add_days(user, [80.0] * 7 + [30.0] * 7)
        # A fifth member checks in from ON-2: only the last week reaches MIN_GROUP_SIZE.
        add_days(UserFactory(team=team), [30.0] * 3)
        publish(through=ON)
        statuses = dict(
            PublishedTeamPeriod.objects.filter(
                team=team, period="week", date__gte=ON - dt.timedelta(days=13)
            )
            .values_list("status")
            .annotate(weeks=Count("pk"))
        )
        assert statuses == {"suppressed": 1, "published": 1}

        alerts_evaluate(on_date=ON)
        alert = BurnoutAlert.objects.get(scope="team")  # low, and no decline from a hidden week
        assert alert.rule == "team_low_flow"
        assert alert.snapshot == {"mean_flow": 30.0, "days_published": 7}

    def test_a_team_too_small_every_day_gets_no_alert(self, team, employee, teammate, settings):
        for user in [employee, teammate, *[UserFactory(team=team) for _ in range(2)]]:
            add_days(user, [30.0] * 14)
        evaluate_after_publication()
        assert not BurnoutAlert.objects.filter(scope="team").exists()

        # Hidden days stay hidden: a smaller group size later does not reveal them.
        settings.MIN_GROUP_SIZE = 4
        publish(through=ON)
        alerts_evaluate(on_date=ON)
        assert not BurnoutAlert.objects.filter(scope="team").exists()

    def test_team_at_risk_below_share(self, team, crew):
        for user in crew:
            add_days(user, [75.0] * 7)
        DailyMetric.objects.filter(user=crew[0]).update(flow_score=20.0)
        evaluate_after_publication()
        assert BurnoutAlert.objects.filter(user=crew[0], rule="low_flow").exists()
        assert not BurnoutAlert.objects.filter(rule="team_at_risk").exists()

    def test_after_checkin_evaluates_that_users_individual_rules_only(self, team, crew, other_team):
        others = [UserFactory(team=other_team) for _ in range(5)]
        for user in [*crew, *others]:
            add_days(user, [30.0] * 7)
        publish(through=ON)
        result = alerts_evaluate_for_user(user_id=crew[0].pk, on_date=ON)
        assert result["individual"]["created"] == 1
        assert result["team"] == NOTHING
        assert rules_of(scope="individual") == {"low_flow"}
        assert set(BurnoutAlert.objects.values_list("user_id", flat=True)) == {crew[0].pk}

    def test_after_checkin_for_a_deleted_user_is_harmless(self):
        assert alerts_evaluate_for_user(user_id=987654, on_date=ON)["skipped"]

    def test_evaluating_some_teams_leaves_the_others_alone(self, team, crew, other_team):
        for user in [*crew, *[UserFactory(team=other_team) for _ in range(5)]]:
            add_days(user, [30.0] * 7)
        publish(through=ON)
        result = alerts_evaluate_for_teams(team_ids=[team.pk], on_date=ON)
        assert result["individual"] == NOTHING
        assert result["team"]["created"] == 1
        assert set(BurnoutAlert.objects.values_list("team_id", flat=True)) == {team.pk}


@pytest.mark.usefixtures("noiseless")
class TestPrivacy:
    """Team alerts release nothing that the published days do not already release."""

    def team_alerts(self) -> list[dict]:
        return list(
            BurnoutAlert.objects.filter(scope="team")
            .order_by("rule")
            .values("rule", "severity", "status", "message", "snapshot", "updated_at")
        )

    def test_a_check_in_on_an_unpublished_day_does_not_move_a_team_alert(self, team, crew):
        yesterday = ON - dt.timedelta(days=1)
        for user in crew:
            add_days(user, [45.0] * 7, end=yesterday)
        evaluate_after_publication(on_date=yesterday)
        alerts_evaluate(on_date=ON)
        before = self.team_alerts()
        assert [a["rule"] for a in before] == ["team_low_flow"]

        # Today's check-ins: one very low, which raises that member's individual alert.
        add_days(crew[0], [0.0], end=ON)
        for user in crew[1:]:
            add_days(user, [10.0], end=ON)
        alerts_evaluate_for_user(user_id=crew[0].pk, on_date=ON)
        assert BurnoutAlert.objects.filter(user=crew[0], rule="low_flow").exists()
        assert self.team_alerts() == before
        alerts_evaluate(on_date=ON)
        assert self.team_alerts() == before

    def test_no_team_alert_holds_a_count_of_people(self, team, crew):
        eight = [*crew, *[UserFactory(team=team) for _ in range(3)]]
        for user in eight:
            add_days(user, LOW, burnout=[0.9] * 14)
        evaluate_after_publication()
        alerts = BurnoutAlert.objects.filter(scope="team")
        assert {a.rule for a in alerts} == {"team_low_flow", "team_decline"}
        for alert in alerts:
            assert "contributor" not in alert.message
            assert not re.search(r"\b8\b", alert.message)
            assert not {"contributors", "previous_contributors", "at_risk"} & set(alert.snapshot)
            assert 8 not in alert.snapshot.values()

    def test_the_at_risk_share_is_the_one_published_with_the_month(self, settings, team, crew):
        settings.PRIVACY_MONTH_MIN_GROUP = 5  # monthly figures for a team this small
        for user in crew:
            add_days(user, [60.0] * 7, burnout=[0.9 if user in crew[:2] else 0.2] * 7, end=END)
        alerts_evaluate(on_date=END)
        assert rules_of(scope="individual") == {"sustained_risk"}
        as_if_raised_on(END - dt.timedelta(days=6))
        publish(through=END)
        shares = set(
            PublishedTeamPeriod.objects.filter(
                team=team, period="month", status="published"
            ).values_list("at_risk_share", "at_risk_band")
        )
        assert shares == {(0.4, "30-49%")}

        alerts_evaluate(on_date=END)
        alert = BurnoutAlert.objects.get(scope="team")
        assert alert.rule == "team_at_risk"
        assert alert.snapshot == {"share_at_risk_band": "30-49%", "days_published": 30}
        assert "30-49%" in alert.message

    def test_alerts_raised_after_publication_do_not_count_for_published_days(self, team, crew):
        for user in crew:
            add_days(user, [60.0] * 7, burnout=[0.9] * 7)
        publish(through=ON)  # nobody has an alert yet
        alerts_evaluate(on_date=ON)
        assert rules_of(scope="individual") == {"sustained_risk"}
        assert not BurnoutAlert.objects.filter(scope="team").exists()


def test_with_real_noise_the_at_risk_share_shows_as_a_band_only(team, crew):
    twenty = [*crew, *[UserFactory(team=team) for _ in range(15)]]  # monthly figures: 20+
    for user in twenty:
        add_days(user, [60.0] * 7, burnout=[0.9] * 7, end=END)
    evaluate_after_publication(on_date=END)
    alert = BurnoutAlert.objects.get(scope="team", rule="team_at_risk")
    band = alert.snapshot["share_at_risk_band"]
    assert band in {label for _, label in AT_RISK_BANDS if label != "under 30%"}
    assert alert.snapshot == {"share_at_risk_band": band, "days_published": 30}
    assert alert.message.startswith(band.capitalize())
    # Beyond the band, no number: neither a share nor a count of people.
    assert not re.search(r"\d", alert.message.removeprefix(band.capitalize()))


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
    # One in five members falls from 80 to 20: each team's mean falls from 80 to 68.
    for t in range(n_teams):
        team = TeamFactory(name=f"Scale {n_teams}-{t}")
        for i, user in enumerate(UserFactory.create_batch(per_team, team=team)):
            flows = [80.0] * 7 + [20.0] * 7 if i % 5 == 1 else HEALTHY
            add_days(user, flows, burnout=[0.8 if i % 10 == 0 else 0.2] * 14)


@pytest.mark.usefixtures("noiseless")
def test_query_count_does_not_grow_with_employees():
    # Alert counts stay below one SQLite insert batch (999 parameters); PostgreSQL has no
    # such split, so there the count is constant whatever the number of alerts.
    _population(2, 5)
    publish(through=ON)
    with CaptureQueriesContext(connection) as small:
        alerts_evaluate(on_date=ON)
    small_alerts = BurnoutAlert.objects.count()
    assert rules_of(scope="team") == {"team_decline"}
    BurnoutAlert.objects.all().delete()
    _population(8, 10)
    publish(through=ON)
    with CaptureQueriesContext(connection) as large:
        alerts_evaluate(on_date=ON)
    assert BurnoutAlert.objects.count() > 3 * small_alerts
    assert BurnoutAlert.objects.filter(scope="team").count() == 10
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 16  # the 16th reads the days for "below your usual"


def test_a_day_well_below_the_persons_usual_raises_an_individual_alert(employee):
    """72 is this person's usual; 55 twice is unusual for them though not low for anyone."""
    add_days(employee, [72.0, 71.0, 73.0, 72.0, 74.0, 72.0, 71.0, 73.0, 55.0, 72.0, 54.0])
    alerts_evaluate(on_date=ON)

    alert = BurnoutAlert.objects.get(user=employee, rule="below_usual")
    assert alert.scope == "individual"
    assert alert.snapshot["below_days"] == 2
    assert not BurnoutAlert.objects.filter(user=employee, rule="low_flow").exists()


def test_a_new_users_first_days_raise_no_below_usual_alert(employee):
    add_days(employee, [72.0, 71.0, 55.0, 54.0])
    alerts_evaluate(on_date=ON)
    assert not BurnoutAlert.objects.filter(user=employee, rule="below_usual").exists()
