"""The company button in headless Chromium, which enforces the page's Content-Security-Policy
(form-action applies to the redirect after the form's POST) and real cookie rules."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.models import User
from tests.factories import TeamFactory
from tests.test_browser_pages import _axe_violations, _overflow

from .conftest import PROVIDER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
# SAVE_DOC_SCREENSHOTS=1 also refreshes the README's picture of the sign-in page.
DOC_SCREENSHOT = Path(django_settings.BASE_DIR) / "docs" / "screenshots" / "sign-in.png"


def test_the_company_button_signs_in_through_the_provider_in_chromium(
    page, company_sign_in, settings, live_server
):
    provider = company_sign_in()
    # What resonance/settings.py derives from OIDC_SERVER_URL (test_settings.py checks it).
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "form-action": ["'self'", provider.origin],
        }
    }
    TeamFactory(name="Atlas")
    page.set_viewport_size({"width": 1100, "height": 700})
    page.goto("/accounts/login/")
    button = page.get_by_role("button", name="Sign in with Example Corp")
    assert button.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "sign-in-company.png", full_page=True)
    if os.environ.get("SAVE_DOC_SCREENSHOTS") == "1":
        page.screenshot(path=DOC_SCREENSHOT, full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert _overflow(page) <= 0
    assert _axe_violations(page) == []

    button.click()
    page.wait_for_url(f"{provider.origin}/accounts/login/**")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PROVIDER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/checkin/")
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("button", name="Sign out ada.lovelace").is_visible()
    assert User.objects.get(username="ada.lovelace").team.name == "Atlas"
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
