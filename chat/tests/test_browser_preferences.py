"""The Chat messages page in Chromium: fits a phone, passes axe, and saves an opt-out."""

from pathlib import Path

import pytest
from django.conf import settings

from chat.models import ChatRecipient, SlackWorkspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def _serious_axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (./run.sh test does).")
    page.evaluate(AXE.read_text() + "\n;0")
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_a_manager_turns_chat_alerts_off_on_a_phone(page, browser_login, manager):
    SlackWorkspace.objects.create(name="Acme Slack", bot_token="xoxb-1")
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, manager)
    page.goto("/chat/preferences/")

    assert (
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        <= 0
    )
    assert _serious_axe_violations(page) == []
    page.get_by_label("Message me in Slack or Teams when a team I manage has an alert").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_text("Chat preferences saved.").is_visible()
    recipient = ChatRecipient.objects.get(user=manager)
    assert (recipient.reminders_enabled, recipient.alerts_enabled) == (True, False)
