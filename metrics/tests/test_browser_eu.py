"""The check-in page in headless Chromium under the ``eu`` profile: a photo only.

The page never asks for the microphone, sends no audio, and shows a fatigue result without any
stress score, on the server path and in private mode (where the manifest has no voice kind).
"""

import json
import math
from collections.abc import Iterator

import pytest
from django.http.multipartparser import MultiPartParser

from metrics.models import CheckIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How an audio file starts: WebM/Matroska, RIFF (WAV), Ogg, FLAC, MP3 (ID3).
AUDIO_MAGIC = (b"\x1aE\xdf\xa3", b"RIFF", b"OggS", b"fLaC", b"ID3")

# Runs before the page's scripts: records the constraints of every getUserMedia call.
RECORD_MEDIA_REQUESTS = """
(() => {
  const asked = [];
  Object.defineProperty(window, "mediaRequests", { value: asked });
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getUserMedia) return;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    asked.push(JSON.parse(JSON.stringify(constraints || {})));
    return original(constraints);
  };
})();
"""


@pytest.fixture
def eu(settings):
    # The settings fixture overrides Django's settings process-wide, so the live server's
    # thread serves the pages under this profile too.
    settings.SIGNAL_PROFILE = "eu"
    return settings


@pytest.fixture
def camera_page(chromium, live_server) -> Iterator:
    """A browser context allowed the camera only: a page that asked for the microphone would
    be refused (and fail the check-in) rather than silently granted."""
    context = chromium.new_context(base_url=live_server.url, permissions=["camera"])
    context.add_init_script(RECORD_MEDIA_REQUESTS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.sent = []
    page.on(
        "request",
        lambda request: page.sent.append(
            {
                "method": request.method,
                "url": request.url,
                "type": request.headers.get("content-type", ""),
                "body": request.post_data_buffer or b"",
            }
        ),
    )
    yield page
    context.close()


def _take_photo(page, *, checked: str) -> None:
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1500)  # let the fake camera deliver frames
    page.click("#camera-snap")
    page.wait_for_selector(f"#image-captured:has-text('{checked}')", timeout=30_000)


def _assert_photo_only_page(page) -> None:
    for absent in ("#mic-record", "#id_audio", "#part-voice", "#result-stress", "#capture-audio"):
        assert page.locator(absent).count() == 0, absent
    words = page.inner_text("body").lower()
    assert "voice" not in words and "stress" not in words and "microphone" not in words


@pytest.fixture
def received(monkeypatch) -> list[dict]:
    """Every multipart body the server parses (in the live server's thread too): its fields,
    and per file its content type and first bytes. Chromium does not hand the browser tests
    a multipart body that holds a file, so what was sent is read where it arrives."""
    forms: list[dict] = []
    parse = MultiPartParser.parse

    def recording_parse(parser):
        post, files = parse(parser)
        uploads = {}
        for name, upload in files.items():
            head = upload.read(16)
            upload.seek(0)
            uploads[name] = {"type": upload.content_type, "head": head}
        forms.append({"fields": set(post), "files": uploads})
        return post, files

    monkeypatch.setattr(MultiPartParser, "parse", recording_parse)
    return forms


def _assert_no_audio_sent(page, received: list[dict]) -> None:
    """No request carried audio, and the page asked the browser for the camera only."""
    assert received, "no multipart body reached the server"
    for form in received:
        assert "audio" not in form["fields"] and "audio" not in form["files"]
        for name, upload in form["files"].items():
            # A photo check sends one image; the check-in the camera's burst of frames.
            assert name in ("image", "frames") and upload["type"].startswith("image/"), (
                name,
                upload,
            )
            assert not upload["head"].startswith(AUDIO_MAGIC)
    for request in page.sent:  # the bodies Chromium does report (JSON, forms without files)
        body = request["body"]
        assert not any(magic in body for magic in AUDIO_MAGIC), (request["url"], body[:80])
    assert page.evaluate("() => window.mediaRequests") == [{"video": True}]


def _percent(value: float) -> str:
    return f"{math.floor(value * 100 + 0.5)}%"  # as the page's Math.round does


def test_it_checks_in_with_the_camera_only_and_shows_no_stress(
    camera_page, employee, browser_login, tiny_models, eu, received
):
    page = camera_page
    browser_login(page, employee)
    page.goto("/checkin/")
    _assert_photo_only_page(page)
    _take_photo(page, checked="Photo ready: one clear face")
    assert page.text_content("#part-photo") == "ready (one clear face)"
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/sync/") and r.request.method == "POST"
    ) as answer:
        page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=30_000)

    # Nothing was dropped on arrival: the page never sent a voice clip to drop.
    assert answer.value.status == 202 and "ignored" not in answer.value.json()
    checkin = CheckIn.objects.get(user=employee)
    assert page.text_content("#status-text") == "Scored.", checkin.failure_reason
    assert page.text_content("#result-fatigue") == _percent(checkin.fatigue)
    assert page.text_content("#result-flow") == f"{checkin.flow_score:.1f}"
    _assert_photo_only_page(page)
    assert checkin.stress is None and not checkin.audio
    assert "voice" not in checkin.model_versions
    posts = [r for r in page.sent if r["method"] == "POST" and r["url"].endswith("/api/v1/sync/")]
    assert len(posts) == 1
    # The photo check and the check-in: both multipart, both with the photo only.
    assert len(received) == 2
    _assert_no_audio_sent(page, received)
    assert page.console_errors == []


def test_private_mode_scores_the_photo_only_without_a_voice_model(
    camera_page, employee, browser_login, tiny_models, eu, received
):
    eu.PRIVATE_MODE = "required"
    page = camera_page
    browser_login(page, employee)
    page.goto("/checkin/")
    page.wait_for_selector("#checkin-form[data-device-ready=true]", timeout=60_000)
    _assert_photo_only_page(page)
    _take_photo(page, checked="checked on this device")
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=60_000)

    assert page.text_content("#status-text") == "Scored on this device."
    posts = [r for r in page.sent if r["method"] == "POST" and r["url"].endswith("/api/v1/sync/")]
    assert len(posts) == 1 and posts[0]["type"].startswith("application/json")
    posted = json.loads(posts[0]["body"])
    assert set(posted["scores"]) == {"fatigue"} and set(posted["model_versions"]) == {"fatigue"}
    # The voice scorer's code was never loaded, let alone its models.
    assert not any(r["url"].endswith("/voice.mjs") for r in page.sent)
    checkin = CheckIn.objects.get(user=employee)
    assert checkin.source == "device" and checkin.stress is None
    assert page.text_content("#result-fatigue") == _percent(checkin.fatigue)
    _assert_photo_only_page(page)
    assert received == []  # private mode sends no media at all
    assert not any("multipart/form-data" in r["type"] for r in page.sent)
    assert page.evaluate("() => window.mediaRequests") == [{"video": True}]
    assert page.console_errors == []
