"""Every page in headless Chromium: no sideways scrolling on a 390 px phone or a 1280 px laptop
(screenshots of both), no serious or critical axe-core violation, and keyboard-only use of the
check-in and the dashboard.

axe-core comes from npm (``package.json``; ``./run.sh test`` installs it into node_modules/) and
is evaluated in the page by the test only: the app never serves it.
"""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from demo.organisation import seed_demo_organisation
from metrics.models import CheckIn
from teams.cells import metrics
from teams.tests.helpers import add_day, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = (390, 1280)

EMPLOYEE_PAGES = ["/checkin/", "/me/trends/", "/me/data/", "/excuses/", "/alerts/preferences/"]
MANAGER_PAGES = ["/dashboard/?days=30", "/alerts/preferences/", "/accounts/password/"]
ERROR_PAGES = ["/checkin/", "/no-such-page/"]  # as the manager: 403 and 404


@pytest.fixture
def demo(password):
    """The demo organisation with ten published days for the platform team."""
    seed_demo_organisation()
    lead = User.objects.get(username="platform-lead")
    members = list(lead.managed_teams.get().members.all())
    for user in [lead, *members]:
        user.set_password(password)
        user.save()
    today = timezone.localdate()
    for back in range(1, 11):
        add_day(members, today - dt.timedelta(days=back), flow=55.0 + 2 * back)
    add_day(members[:2], today - dt.timedelta(days=12), flow=20.0)  # a hidden day
    publish(through=today - dt.timedelta(days=1))
    # The employee has a history of their own: "My check-ins" lists it, scores and all.
    for back in range(1, 6):
        CheckIn.objects.create(
            user=members[0],
            status=CheckIn.Status.DONE,
            local_date=today - dt.timedelta(days=back),
            fatigue=0.31,
            stress=0.42,
            burnout=0.28,
            flow_score=64.5,
            hours_worked=8.5,
            sleep_hours=7.0,
        )
    CheckIn.objects.create(
        user=members[0],
        status=CheckIn.Status.FAILED,
        failure_reason="No face found in the photo. Face the camera in good light and retake it.",
    )
    return {"manager": lead, "employee": members[0]}


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (./run.sh test does).")
    page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if url.startswith("/dashboard/"):
        page.wait_for_selector("#heatmap[data-rendered=true]", timeout=20_000)
    if url == "/me/trends/":
        page.wait_for_timeout(500)  # let the chart draw


def _check_pages(page, persona: str, urls: list[str]) -> dict:
    findings: dict = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        for url in urls:
            _visit(page, url)
            name = url.split("?")[0].strip("/").replace("/", "_") or "home"
            page.screenshot(path=SCREENSHOTS / f"{persona}-{name}-{width}.png", full_page=True)
            overflow = _overflow(page)
            if overflow > 0:
                findings[f"{url} at {width}px"] = f"{overflow}px wider than the screen"
            if width == WIDTHS[0]:
                for violation in _axe_violations(page):
                    findings[f"{url}: {violation['id']}"] = violation
    return findings


def test_the_sign_in_page_fits_a_phone_and_passes_axe(page):
    assert _check_pages(page, "anonymous", ["/accounts/login/"]) == {}


def test_the_api_reference_fits_a_phone_and_passes_axe(page):
    assert _check_pages(page, "anonymous", ["/api/reference/"]) == {}
    page.goto("/api/docs/")
    page.click("text=API reference")
    assert page.url.endswith("/api/reference/")


def test_every_employee_page_fits_a_phone_and_passes_axe(page, browser_login, demo):
    browser_login(page, demo["employee"])

    findings = _check_pages(page, "employee", EMPLOYEE_PAGES)

    assert findings == {}, json.dumps(findings, indent=2)
    assert page.console_errors == []


def test_every_manager_page_and_error_page_fits_a_phone_and_passes_axe(page, browser_login, demo):
    browser_login(page, demo["manager"])

    findings = _check_pages(page, "manager", MANAGER_PAGES + ERROR_PAGES)

    assert findings == {}, json.dumps(findings, indent=2)


def test_the_heatmap_scrolls_inside_its_card_on_a_phone_and_has_a_table(page, browser_login, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, demo["manager"])
    _visit(page, "/dashboard/?days=30")

    chart_width = page.eval_on_selector("#heatmap", "e => e.getBoundingClientRect().width")
    box = page.eval_on_selector(".scroll-x", "e => [e.scrollWidth, e.clientWidth]")
    assert chart_width >= 560  # legible cells, not every week squeezed into 60 px
    assert box[0] > box[1]  # the card scrolls sideways, the page does not
    assert _overflow(page) <= 0

    page.click("#heatmap-table-details summary")
    table = page.inner_text("#heatmap-table")
    assert "Platform" in table and "hidden: fewer than" in table
    assert len(page.query_selector_all("#heatmap-table tbody tr")) in (5, 6)  # the weeks


def _tab_to(page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus: only the keyboard, no clicks."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{selector} cannot be reached with Tab")


def test_a_keyboard_only_check_in(page, browser_login, demo, tiny_models):
    from metrics.models import CheckIn

    browser_login(page, demo["employee"])
    earlier = set(CheckIn.objects.filter(user=demo["employee"]).values_list("pk", flat=True))
    page.goto("/checkin/")
    page.wait_for_load_state("networkidle")

    _tab_to(page, "#camera-start")
    page.keyboard.press("Enter")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1000)
    assert page.evaluate("document.activeElement.id") == "camera-snap"
    page.keyboard.press("Enter")
    page.wait_for_selector("#image-captured:has-text('Photo ready')", timeout=15_000)
    _tab_to(page, "#mic-record")
    page.keyboard.press("Space")
    page.wait_for_selector("#audio-captured:not([hidden])", timeout=15_000)
    _tab_to(page, "#checkin-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=60_000)

    assert page.text_content("#status-text") == "Scored."
    [new] = CheckIn.objects.filter(user=demo["employee"]).exclude(pk__in=earlier)
    assert new.status == "done"


def test_a_keyboard_only_dashboard(page, browser_login, demo):
    browser_login(page, demo["manager"])
    _visit(page, "/dashboard/?days=30")

    _tab_to(page, "#id_metric")
    with page.expect_navigation():
        page.keyboard.press("ArrowDown")  # the next metric; the form submits itself
    page.wait_for_selector("#heatmap[data-rendered=true]", timeout=20_000)
    assert f"metric={metrics()[1]}" in page.url
    _tab_to(page, "#heatmap-table-details summary")
    page.keyboard.press("Enter")
    assert page.eval_on_selector("#heatmap-table-details", "d => d.open")
    _tab_to(page, "#csv-export")


def test_the_lockout_page_fits_a_phone_and_passes_axe(page, employee, settings):
    page.set_viewport_size({"width": 390, "height": 844})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.fill("#id_username", employee.username)
        page.fill("#id_password", "not the password")
        page.click("button[type=submit]")
    page.wait_for_selector("#error-title")

    assert page.inner_text("#error-title") == "Too many failed sign-in attempts"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "anonymous-locked-out-390.png", full_page=True)
    assert _overflow(page) <= 0
    assert _axe_violations(page) == []
