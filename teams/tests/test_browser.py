"""A demo manager opens the dashboard in headless Chromium and the heatmap renders."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from accounts.models import User
from demo.organisation import seed_demo_organisation

from .helpers import add_day, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_demo_manager_sees_the_heatmap_render(page, browser_login, password, live_server):
    seed_demo_organisation()
    lead = User.objects.get(username="platform-lead")
    lead.set_password(password)
    lead.save()
    members = list(lead.managed_teams.get().members.all())
    today = timezone.localdate()
    for back in range(1, 11):
        add_day(members, today - dt.timedelta(days=back), flow=60.0 + back)
    add_day(members[:3], today - dt.timedelta(days=12), flow=20.0)  # a hidden day
    add_day(members, today, flow=99.0)  # today: not published, never shown
    publish(through=today - dt.timedelta(days=1))
    scripts: list[str] = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))

    browser_login(page, lead)
    page.goto("/dashboard/?days=30")
    page.wait_for_selector("#heatmap[data-rendered=true]", timeout=20_000)
    page.wait_for_selector("#trend[data-rendered=true]", timeout=20_000)

    assert page.locator("#heatmap .heatmaplayer").count() == 1
    assert page.locator("#heatmap .hm").count() == 2  # values and the grey suppressed layer
    assert "Platform" in page.locator("#heatmap").inner_text()
    assert "99" not in page.locator("#team-summary").inner_text()
    assert "once it has ended for everyone" in page.locator("#publication-note").inner_text()
    assert "Mobile" not in page.locator("#team-summary").inner_text()
    assert page.locator("#team-alerts").count() == 1
    assert any(urlparse(u).path == "/static/vendor/plotly.min.js" for u in scripts)
    assert all(urlparse(u).netloc == urlparse(live_server.url).netloc for u in scripts)

    with page.expect_navigation():
        page.select_option("#id_metric", "participation")
    page.wait_for_selector("#heatmap[data-rendered=true]", timeout=20_000)
    assert "Participation by team and week" in page.locator("#heatmap-title").inner_text()
    assert page.console_errors == []
