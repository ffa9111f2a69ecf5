"""With the camera on, recording the voice clip takes the burst while the person speaks."""

from __future__ import annotations

import pytest

from metrics.models import CheckIn

from .test_browser_burst import awake_page, starter_fatigue  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recording_with_the_camera_on_takes_the_burst_while_speaking(
    awake_page,  # noqa: F811
    employee,
    browser_login,
    starter_fatigue,  # noqa: F811
):
    page = awake_page
    browser_login(page, employee)
    page.goto("/checkin/")
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1000)
    page.click("#mic-record")
    page.wait_for_selector("#audio-captured:not([hidden])", timeout=15_000)
    page.wait_for_selector("#image-captured:has-text('one clear face')", timeout=30_000)
    assert page.is_visible("#snapshot") and not page.is_visible("#camera-preview")
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=90_000)
    assert not page.is_visible("#status-text.error"), page.text_content("#status-text")
    checkin = CheckIn.objects.get(user=employee)
    assert checkin.burst is not None and checkin.burst["frames"] >= 10, checkin.burst
    assert checkin.fatigue is not None and checkin.fatigue < 0.5
