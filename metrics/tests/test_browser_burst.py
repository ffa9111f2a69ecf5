"""The camera's burst in headless Chromium, with the shipped starter fatigue model: an awake
face scores below 0.5 and a face with closed eyes at or above it, on the server path and in
private mode (scored in the browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FAKE_CAMERA_IMAGE, _open_page, chromium_with_camera, write_y4m
from inference.registry import register_model_file
from inference.tests.media import eyes_shut
from metrics.models import CheckIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
STARTER_FATIGUE = ROOT / "models" / "fatigue" / "fatigue-starter-2026.12.2.onnx"


@pytest.fixture(scope="module")
def closed_eyes_chromium(playwright_session, tmp_path_factory) -> Iterator:
    """Chromium whose fake camera shows the portrait with both eyes shut."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("closed-camera")
    image = eyes_shut(Image.open(FAKE_CAMERA_IMAGE).convert("RGB").resize((480, 480)))
    image.save(folder / "closed.png")
    camera = write_y4m(folder / "closed.png", folder / "closed.y4m")
    browser = chromium_with_camera(playwright_session, camera)
    yield browser
    browser.close()


@pytest.fixture
def starter_fatigue(tiny_models):
    """The shipped fatigue model (whole-face calibrated) with the tiny voice and burnout."""
    return register_model_file(STARTER_FATIGUE, activate=True)


def _open(browser, live_server) -> Iterator:
    """conftest's page, recording what it posts."""
    for page in _open_page(browser, live_server):
        page.sent = []
        page.on(
            "request",
            lambda r, page=page: page.sent.append(
                {"url": r.url, "method": r.method, "body": r.post_data}
            ),
        )
        yield page


@pytest.fixture
def awake_page(chromium, live_server) -> Iterator:
    yield from _open(chromium, live_server)


@pytest.fixture
def closed_page(closed_eyes_chromium, live_server) -> Iterator:
    yield from _open(closed_eyes_chromium, live_server)


def _check_in_with_the_camera(page, employee, browser_login, *, on_device: bool) -> None:
    browser_login(page, employee)
    page.goto("/checkin/")
    if on_device:
        page.wait_for_selector("#checkin-form[data-device-ready=true]", timeout=60_000)
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1000)
    page.click("#camera-snap")
    page.wait_for_selector("#image-captured:has-text('one clear face')", timeout=30_000)
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=90_000)
    assert not page.is_visible("#status-text.error"), page.text_content("#status-text")


@pytest.mark.parametrize("on_device", [False, True], ids=["server", "private"])
@pytest.mark.parametrize(
    ("camera", "fatigued"), [("awake_page", False), ("closed_page", True)], ids=["awake", "closed"]
)
def test_a_burst_from_the_camera_scores_awake_low_and_closed_eyes_high(
    request, camera, fatigued, on_device, employee, browser_login, starter_fatigue, settings
):
    if on_device:
        settings.PRIVATE_MODE = "required"
    page = request.getfixturevalue(camera)
    _check_in_with_the_camera(page, employee, browser_login, on_device=on_device)
    checkin = CheckIn.objects.get(user=employee)
    assert checkin.status == CheckIn.Status.DONE
    assert checkin.fatigue is not None
    assert (checkin.fatigue >= 0.5) is fatigued, checkin.fatigue
    assert checkin.burst is not None and checkin.burst["frames"] >= 10, checkin.burst
    assert checkin.source == ("device" if on_device else "server")
    if on_device:
        posts = [r for r in page.sent if r["method"] == "POST" and r["url"].endswith("/sync/")]
        body = json.loads(posts[0]["body"])
        assert set(body["scores"]) == {"fatigue"} and body["burst"] == checkin.burst
