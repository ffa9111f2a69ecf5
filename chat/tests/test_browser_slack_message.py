"""The picture of a Slack message in the README: the team alert a manager receives, rendered
from the exact chat.postMessage body the local Slack server received."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from .conftest import in_slack
from .slack_preview import slack_dm_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.usefixtures("noiseless")]

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
# SAVE_DOC_SCREENSHOTS=1 also refreshes the README's picture of a Slack message.
DOC_SCREENSHOT = Path(django_settings.BASE_DIR) / "docs" / "screenshots" / "slack-message.png"


def test_the_team_alert_as_a_manager_sees_it_in_slack(
    chat,
    manager,
    raise_team_alert,
    faceless_chromium,
):
    in_slack(chat, manager)
    alert = raise_team_alert()
    [message] = chat.slack_messages()

    context = faceless_chromium.new_context(viewport={"width": 1100, "height": 520})
    page = context.new_page()
    page.set_content(slack_dm_page(message.body, workspace="Acme", reader="maya"))

    assert page.get_by_text(f"{alert.team.name}: Team low FlowScore").is_visible()
    assert page.get_by_text(alert.message, exact=False).is_visible()
    assert page.get_by_text("Open the team dashboard").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "slack-message.png")
    if os.environ.get("SAVE_DOC_SCREENSHOTS") == "1":
        page.screenshot(path=DOC_SCREENSHOT)
    context.close()
