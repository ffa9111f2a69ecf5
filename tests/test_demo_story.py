"""The demo, with the default noise on, still tells its story to the managers who see it:
Mobile is declining and alerted, Platform is healthy, Support is too small to show."""

import csv
import io
import statistics

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from alerts.models import BurnoutAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def published_flow(client, lead: str) -> list[float]:
    """The 90-day FlowScore CSV a team lead downloads: published values only, oldest first."""
    client.force_login(User.objects.get(username=lead))
    export = client.get(reverse("teams:dashboard-csv"), {"metric": "flow_score", "days": 90})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(rows) == 90
    return [float(r["value"]) for r in rows if r["value"]]


def test_mobile_declines_and_platform_stays_healthy(client, demo):
    mobile = published_flow(client, "mobile-lead")
    platform = published_flow(client, "platform-lead")

    assert len(mobile) >= 30 and len(platform) >= 30
    assert statistics.fmean(mobile[-10:]) < statistics.fmean(mobile[:30]) - 15
    assert statistics.fmean(platform[-10:]) > 65
    assert abs(statistics.fmean(platform[-10:]) - statistics.fmean(platform[:30])) < 10


def test_support_is_too_small_to_show(client, demo):
    assert published_flow(client, "support-lead") == []


def test_the_team_alerts_point_at_mobile(demo):
    mobile = set(
        BurnoutAlert.objects.filter(scope="team", team__name="Mobile").values_list(
            "rule", flat=True
        )
    )
    assert {"team_low_flow", "team_at_risk"} <= mobile
    assert not BurnoutAlert.objects.filter(
        scope="team", team__name="Platform", rule="team_low_flow"
    )
    for alert in BurnoutAlert.objects.filter(scope="team"):
        assert "contributor" not in alert.message


def test_the_trend_page_shows_the_decline(client, demo):
    client.force_login(User.objects.get(username="mobile-lead"))
    page = client.get(reverse("teams:dashboard"), {"days": 90})
    (summary,) = page.context["summaries"]
    assert float(summary["latest_rolling"]) < 50
