"""A manager acknowledges a team alert on the real dashboard in headless Chromium."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import BurnoutAlert
from alerts.services.evaluation import alerts_evaluate
from teams.tests.helpers import publish

from .conftest import add_days

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("noiseless"),
]


def test_manager_acknowledges_a_team_alert_on_the_dashboard(
    page, browser_login, crew, manager, employee
):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    for user in crew:
        add_days(user, [45.0] * 7, end=yesterday)
    # One member is clearly low: an individual alert the manager must never see.
    employee.daily_metrics.update(flow_score=25.0)
    alerts_evaluate(on_date=today, notify=False)
    # The days up to yesterday have closed: the team mean (41) is published, then evaluated.
    publish(through=yesterday, announce=False)
    alerts_evaluate(on_date=today, notify=False)
    team_alert = BurnoutAlert.objects.get(scope="team", rule="team_low_flow")
    individual = BurnoutAlert.objects.get(user=employee, rule="low_flow")

    browser_login(page, manager)
    page.goto("/dashboard/")
    panel = page.locator("#team-alerts")
    item = panel.locator(f'li[data-alert-id="{team_alert.pk}"]')
    assert item.get_attribute("data-status") == "open"
    assert "Team low FlowScore" in item.inner_text()
    assert individual.message not in page.content()

    with page.expect_navigation():
        item.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("networkidle")

    item = page.locator(f'#team-alerts li[data-alert-id="{team_alert.pk}"]')
    assert item.get_attribute("data-status") == "acknowledged"
    assert f"Acknowledged by {manager.username}" in item.inner_text()
    assert item.get_by_role("button", name="Acknowledge").count() == 0
    team_alert.refresh_from_db()
    assert team_alert.status == "acknowledged"
    assert team_alert.acknowledged_by == manager
    assert page.console_errors == []
