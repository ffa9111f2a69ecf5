"""The page in a real browser: write an email, copy it, open it in a mail client."""

import datetime as dt

import pytest
from django.utils import timezone

from excuses.models import ExcuseEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_model_server(settings):
    settings.EXCUSE_LLM_URL = ""


def test_it_writes_an_excuse_and_copies_it(page, browser_login, employee, live_server):
    employee.first_name, employee.last_name = "Erin", "Walsh"
    employee.save()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    browser_login(page, employee)

    page.click("text=Meeting excuse")
    page.fill("#id_meeting_title", "Quarterly planning")
    page.fill("#id_organizer_name", "Priya")
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    page.fill("#id_meeting_time", tomorrow.strftime("%Y-%m-%dT10:00"))
    page.select_option("#id_reason", "focus")
    page.select_option("#id_tone", "formal")
    page.click("#excuse-generate")

    body = page.locator("#excuse-body")
    body.wait_for()
    text = body.inner_text()
    assert text.startswith("Dear Priya,") and text.rstrip().endswith("Erin Walsh")
    assert "Quarterly planning" in text
    assert "Quarterly planning" in page.inner_text("#excuse-subject")

    page.click("text=Copy to clipboard")
    page.wait_for_selector("#copy-feedback:has-text('Copied to clipboard.')")
    assert page.evaluate("navigator.clipboard.readText()") == text

    mailto = page.get_attribute("#excuse-mailto", "href")
    assert mailto.startswith("mailto:?subject=") and "Quarterly%20planning" in mailto

    # "Generate another" keeps the inputs and adds a second email to the history.
    first_url = page.url
    with page.expect_navigation():
        page.locator("#result").get_by_role("button", name="Generate another").click()
    page.wait_for_load_state("networkidle")
    assert page.url != first_url
    assert ExcuseEmail.objects.filter(user=employee).count() == 2
    assert page.locator("#history details").count() == 2
    assert page.console_errors == []


def test_the_flowscore_banner_is_fresh_after_going_back(page, browser_login, employee):
    """A check-in made meanwhile (here: its DailyMetric) shows when the person comes back,
    even through the browser's Back button (no back/forward-cache copy of the old page)."""
    from metrics.models import DailyMetric

    today = timezone.now().astimezone(dt.UTC).date()
    day = DailyMetric.objects.create(user=employee, date=today, flow_score=31.0)
    browser_login(page, employee)
    page.goto("/excuses/")
    assert "Your FlowScore today is 31" in page.inner_text("#excuse-suggestion")

    page.goto("/me/trends/")
    day.flow_score = 36.0
    day.save()
    page.go_back()

    page.wait_for_selector("#excuse-suggestion")
    assert "Your FlowScore today is 36" in page.inner_text("#excuse-suggestion")
