"""Private mode in headless Chromium: the check-in is scored in the browser with the same ONNX
models, no image or audio byte leaves it, the scores match the server path, and a page whose
models went stale is told to reload."""

import io
import json

import pytest

from inference import services
from inference.registry import register_model_file
from inference.testing import write_tiny_model
from metrics.models import CheckIn

from .media import png_bytes, wav_bytes
from .recording_proxy import recording_proxy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# File signatures of what must never be sent: JPEG, PNG, WebM/Matroska, RIFF (WAV), Ogg, FLAC.
MEDIA_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"\x1aE\xdf\xa3", b"RIFF", b"OggS", b"fLaC")


@pytest.fixture
def private(settings):
    settings.PRIVATE_MODE = "required"
    return settings


def _record_requests(page) -> list[dict]:
    sent: list[dict] = []

    def on_request(request):
        body = request.post_data_buffer or b""
        sent.append(
            {
                "method": request.method,
                "url": request.url,
                "type": request.headers.get("content-type", ""),
                "body": body,
            }
        )

    page.on("request", on_request)
    return sent


def _assert_no_media_left(sent: list[dict]) -> dict:
    """Every request body is free of media; returns the one check-in POST."""
    for request in sent:
        body = request["body"]
        assert not any(magic in body for magic in MEDIA_MAGIC), (request["url"], body[:80])
        assert "multipart/form-data" not in request["type"], request["url"]
        assert "/sync/photo-check/" not in request["url"]
    posts = [r for r in sent if r["method"] == "POST" and r["url"].endswith("/api/v1/sync/")]
    assert len(posts) == 1
    assert posts[0]["type"].startswith("application/json")
    return json.loads(posts[0]["body"])


@pytest.fixture
def recorded_page(chromium, live_server):
    """A page whose every request passes a recording proxy on its way to the live server:
    ``page.recording.requests`` holds the raw bodies the server received."""
    with recording_proxy(live_server.url) as recording:
        context = chromium.new_context(base_url=recording.url, permissions=["camera", "microphone"])
        page = context.new_page()
        page.recording = recording
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        yield page
        context.close()


def _wait_ready(page) -> None:
    page.wait_for_selector("#checkin-form[data-device-ready=true]", timeout=60_000)


def _check_in_with_camera_and_microphone(page) -> None:
    """On a ready check-in page: a photo from the fake camera, a clip from the fake
    microphone, "Check in", and wait for the answer."""
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1500)
    page.click("#camera-snap")
    page.wait_for_selector("#image-captured:has-text('checked on this device')", timeout=30_000)
    page.click("#mic-record")
    page.wait_for_selector("#audio-captured:not([hidden])", timeout=15_000)
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=60_000)


def _ready_with_a_photo(page, employee, browser_login, path, content: bytes) -> None:
    """Signed in, the device's models loaded, ``content`` chosen as the photo."""
    path.write_bytes(content)
    browser_login(page, employee)
    page.goto("/checkin/")
    _wait_ready(page)
    page.set_input_files("#id_image", str(path))


def test_a_private_check_in_with_camera_and_microphone_sends_only_scores(
    page, employee, browser_login, tiny_models, private
):
    browser_login(page, employee)
    sent = _record_requests(page)
    page.goto("/checkin/")
    assert "never leave it" in page.inner_text("#checkin-mode")
    _wait_ready(page)
    _check_in_with_camera_and_microphone(page)

    assert page.text_content("#status-text") == "Scored on this device."
    posted = _assert_no_media_left(sent)
    assert set(posted) >= {"scores", "model_versions"}
    assert set(posted["scores"]) == {"fatigue", "stress"}
    checkin = CheckIn.objects.get(user=employee)
    assert checkin.source == "device" and checkin.status == "done"
    assert not checkin.image and not checkin.audio
    assert checkin.fatigue == pytest.approx(posted["scores"]["fatigue"])
    assert page.console_errors == []


def test_private_scores_match_the_server_path_on_the_same_files(
    page, employee, browser_login, tiny_models, private, tmp_path
):
    image = tmp_path / "face.png"
    image.write_bytes(png_bytes())
    audio = tmp_path / "voice.wav"
    audio.write_bytes(wav_bytes(4.0))
    browser_login(page, employee)
    sent = _record_requests(page)
    page.goto("/checkin/")
    _wait_ready(page)
    page.set_input_files("#id_image", str(image))
    page.set_input_files("#id_audio", str(audio))
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=60_000)
    assert page.text_content("#status-text") == "Scored on this device."
    _assert_no_media_left(sent)

    checkin = CheckIn.objects.get(user=employee)
    server_fatigue = services.score_image(io.BytesIO(image.read_bytes())).score
    server_stress = services.score_audio(io.BytesIO(audio.read_bytes())).score
    assert abs(checkin.fatigue - server_fatigue) <= 0.01, (checkin.fatigue, server_fatigue)
    assert abs(checkin.stress - server_stress) <= 0.01, (checkin.stress, server_stress)


def test_a_page_whose_models_went_stale_is_told_to_reload(
    page, employee, browser_login, tiny_models, private, tmp_path
):
    audio = tmp_path / "voice.wav"
    audio.write_bytes(wav_bytes(3.0))
    browser_login(page, employee)
    page.goto("/checkin/")
    _wait_ready(page)
    # Meanwhile an operator activates another voice model.
    newer = write_tiny_model(tmp_path / "models", "voice", version="tiny-2")
    register_model_file(newer, activate=True)
    page.set_input_files("#id_audio", str(audio))
    page.click("#checkin-submit")
    page.wait_for_selector("#status-text.error", timeout=60_000)

    assert "reload the page" in page.text_content("#status-text")
    assert not CheckIn.objects.exists()


def test_a_photo_without_a_face_is_refused_on_the_device(
    faceless_page, employee, browser_login, tiny_models, private
):
    page = faceless_page
    browser_login(page, employee)
    sent = _record_requests(page)
    page.goto("/checkin/")
    _wait_ready(page)
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1000)
    page.click("#camera-snap")
    page.wait_for_selector("#image-captured.error", timeout=30_000)

    # The animated pattern gives the detector nothing, or nothing the mesh can call a face.
    assert "face found in the photo" in page.text_content("#image-captured")
    assert all("/sync/" not in r["url"] for r in sent if r["method"] == "POST")


def test_a_failed_send_says_so_and_the_retry_stores_one_checkin(
    page, employee, browser_login, tiny_models, private, tmp_path
):
    _ready_with_a_photo(page, employee, browser_login, tmp_path / "face.png", png_bytes())
    page.route("**/api/v1/sync/", lambda route: route.abort())  # the network drops
    page.click("#checkin-submit")
    page.wait_for_selector("#status-text.error", timeout=60_000)

    assert "Sending the scores failed" in page.text_content("#status-text")
    assert page.is_enabled("#checkin-submit")  # not stuck on "Sending the scores…"
    assert not CheckIn.objects.exists()

    page.unroute_all()
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    assert page.text_content("#status-text") == "Scored on this device."
    assert CheckIn.objects.filter(user=employee).count() == 1


def test_a_double_click_stores_one_private_checkin(
    page, employee, browser_login, tiny_models, private, tmp_path
):
    _ready_with_a_photo(page, employee, browser_login, tmp_path / "face.png", png_bytes())
    page.dblclick("#checkin-submit")
    page.wait_for_selector("#result:not([hidden])", timeout=60_000)
    page.wait_for_timeout(1500)  # a second check-in, if one had started, would have landed

    assert CheckIn.objects.filter(user=employee).count() == 1


def test_models_that_cannot_load_offer_server_scoring_where_allowed(
    page, employee, browser_login, tiny_models, private
):
    private.PRIVATE_MODE = "optional"
    employee.scores_on_device = True
    employee.save(update_fields=["scores_on_device"])
    browser_login(page, employee)
    page.route("**/device/manifest/", lambda route: route.fulfill(status=503, body="{}"))
    page.goto("/checkin/")
    page.wait_for_selector("#device-loading.error", timeout=30_000)

    assert "could not start" in page.text_content("#device-loading")
    link = page.locator("#device-loading a")
    assert "on the server instead" in link.text_content()
    assert link.get_attribute("href").endswith("/me/data/#on-device")


def test_a_file_that_is_not_an_image_gets_the_servers_words_on_the_device(
    page, employee, browser_login, tiny_models, private, tmp_path
):
    not_an_image = b"these are not the pixels you are looking for" * 10
    _ready_with_a_photo(page, employee, browser_login, tmp_path / "face.png", not_an_image)
    page.click("#checkin-submit")
    page.wait_for_selector("#status-text.error", timeout=60_000)

    assert page.text_content("#status-text") == (
        "Only JPEG, PNG and WebP images are accepted. Nothing was sent."
    )
    assert not CheckIn.objects.exists()


def test_the_server_receives_no_media_byte_from_a_private_check_in(
    recorded_page, employee, browser_login, tiny_models, private
):
    page = recorded_page
    browser_login(page, employee)
    page.goto("/checkin/")
    _wait_ready(page)
    _check_in_with_camera_and_microphone(page)
    assert page.text_content("#status-text") == "Scored on this device."

    received = list(page.recording.requests)
    posts = [r for r in received if r.method == "POST" and r.path.endswith("/api/v1/sync/")]
    assert len(posts) == 1 and posts[0].content_type.startswith("application/json")
    for request in received:
        assert not any(magic in request.body for magic in MEDIA_MAGIC), request.path
        assert "multipart/form-data" not in request.content_type, request.path
    # The proxy sees what Playwright cannot: a photo sent as a raw Blob arrives whole.
    page.evaluate(
        """async (bytes) => {
          await fetch('/api/v1/sync/', {method: 'POST', body: new Blob([new Uint8Array(bytes)])});
        }""",
        list(png_bytes()),
    )
    assert any(b"\x89PNG" in r.body for r in page.recording.requests[len(received) :])


def test_the_download_progress_counts_everything_the_first_visit_fetches(
    recorded_page, employee, browser_login, tiny_models, private
):
    from inference import device

    page = recorded_page
    browser_login(page, employee)
    page.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
          window.__loading = [];
          const el = document.getElementById('device-loading');
          if (!el) return;
          new MutationObserver(() => window.__loading.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
        });"""
    )
    page.goto("/checkin/")
    _wait_ready(page)

    texts = page.evaluate("window.__loading")
    progress = [t for t in texts if t.startswith("Loading the models onto this device:")]
    manifest = page.evaluate("fetch('/api/v1/device/manifest/').then(r => r.json())")
    counted = manifest["runtime"]["wasm"]["bytes"] + sum(
        file["bytes"] for kind in manifest["kinds"].values() for file in kind["files"].values()
    )
    total = f"{counted / 1e6:.1f}"
    assert progress and progress[-1].endswith(f"{total} of {total} MB…"), texts
    # My data's figure adds only the runtime's two small JavaScript modules.
    assert device.first_download_bytes() / 1e6 - counted / 1e6 < 0.1
    assert texts[-1] == "The models are ready on this device."
    # The first load of the page fetched the runtime's binary once: the page's own fetch,
    # which the runtime then used instead of loading it again.
    binary = device.runtime_binary().name
    paths = [r.path for r in page.recording.requests]
    first_load = paths[paths.index("/checkin/") + 1 :]
    if "/checkin/" in first_load:
        first_load = first_load[: first_load.index("/checkin/")]
    assert sum(path.endswith(binary) for path in first_load) == 1, paths
