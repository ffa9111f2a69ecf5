"""Check in through the real page in headless Chromium and see the result."""

import datetime as dt

import pytest

from metrics.models import CheckIn, DailyMetric

from .media import png_bytes, wav_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_employee_checks_in_with_file_upload_and_sees_the_result(
    page, employee, browser_login, tiny_models, tmp_path
):
    image = tmp_path / "face.png"
    image.write_bytes(png_bytes())
    audio = tmp_path / "voice.wav"
    audio.write_bytes(wav_bytes())
    browser_login(page, employee)
    page.goto("/checkin/")
    page.set_input_files("#id_image", str(image))
    page.set_input_files("#id_audio", str(audio))
    page.click("summary")
    page.fill("#id_hours_worked", "9")
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden])", timeout=30_000)
    checkin = CheckIn.objects.get(user=employee)
    assert checkin.status == "done"
    assert page.text_content("#status-text") == "Scored."
    assert page.text_content("#result-flow") == f"{checkin.flow_score:.1f}"
    assert page.text_content("#result-coach").strip()
    assert checkin.hours_worked == 9
    assert page.console_errors == []


def test_camera_snapshot_and_microphone_recording_are_uploaded(
    page, employee, browser_login, tiny_models
):
    browser_login(page, employee)
    page.goto("/checkin/")
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1500)  # let the fake camera deliver frames
    page.click("#camera-snap")
    page.wait_for_selector("#image-captured:not([hidden])")
    page.wait_for_selector("#image-captured:has-text('Photo ready: one clear face')")
    # The captured frame replaces the live camera, and the button now offers a retake.
    assert page.is_visible("#snapshot") and not page.is_visible("#camera-preview")
    assert page.text_content("#camera-start") == "Retake"
    assert page.text_content("#part-photo") == "ready (one clear face)"
    assert page.text_content("#part-voice") == "not added"

    page.click("#mic-record")
    # While recording: a level meter that moves with the (fake) microphone and a countdown.
    page.wait_for_selector("#mic-meter:not([hidden])")
    assert page.text_content("#part-voice") == "recording…"
    for _ in range(40):  # polled from here: the page's CSP forbids evaluating strings in it
        if page.eval_on_selector("#mic-level", "m => Number(m.dataset.peak || 0)") > 0.02:
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the level meter never moved")
    assert "s left" in page.text_content("#mic-countdown")
    page.wait_for_selector("#audio-captured:not([hidden])", timeout=15_000)
    # The clip can be played back before sending.
    assert page.is_visible("#audio-preview")
    assert page.eval_on_selector("#audio-preview", "a => a.controls && a.src.startsWith('blob:')")
    assert page.text_content("#part-voice") == "ready (recorded clip)"
    page.click("summary")
    page.fill("#id_sleep_hours", "7")
    assert page.text_content("#part-numbers") == "1 of 4 given"
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden]), #status-text.error", timeout=30_000)
    checkin = CheckIn.objects.get(user=employee)
    assert page.text_content("#status-text") == "Scored.", checkin.failure_reason
    # Both captures reached the server: the JPEG snapshot and the WebM/Opus recording.
    assert set(checkin.model_versions) == {"fatigue", "voice", "burnout"}
    assert checkin.fatigue is not None and checkin.stress is not None
    assert page.console_errors == []


def test_a_camera_frame_without_a_face_gets_the_retake_message(
    faceless_page, employee, browser_login, tiny_models
):
    """Chromium's own fake camera shows a test pattern: the photo is refused, nothing stored."""
    page = faceless_page
    browser_login(page, employee)
    page.goto("/checkin/")
    page.click("#camera-start")
    page.wait_for_selector("#camera-snap:not([hidden])")
    page.wait_for_timeout(1000)
    page.click("#camera-snap")
    # Told at once, before sending anything: the page checks the frame with the photo gate.
    page.wait_for_selector("#image-captured.error", timeout=15_000)
    told = page.text_content("#image-captured")
    # The animated pattern gives the detector nothing, or nothing the mesh can call a face.
    assert "face found in the photo" in told and "retake" in told
    assert page.text_content("#part-photo") == "refused: retake it"
    assert page.text_content("#camera-start") == "Retake"

    page.click("#checkin-submit")  # the refused photo is not sent
    page.wait_for_selector("#status-text.error", timeout=30_000)
    assert "Add a face photo, a voice clip, or both" in page.text_content("#status-text")
    assert not CheckIn.objects.filter(user=employee).exists()


def test_trends_draws_the_chart_without_errors(page, employee, browser_login):
    today = dt.date.today()
    for offset in range(5):
        DailyMetric.objects.create(
            user=employee,
            team=employee.team,
            date=today - dt.timedelta(days=offset),
            flow_score=50 + offset,
            fatigue=0.4,
            stress=0.5,
            burnout=0.45,
        )
    browser_login(page, employee)
    page.goto("/me/trends/")
    page.wait_for_selector("#trends-chart .main-svg", timeout=15_000)
    assert page.locator("#trends-chart .scatterlayer .trace").count() >= 2
    assert page.console_errors == []


IN_VIEW = """(selector) => {
    const box = document.querySelector(selector).getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_result_is_brought_into_view_on_a_phone_and_a_laptop(
    page, employee, browser_login, tiny_models, tmp_path, width
):
    image = tmp_path / "face.png"
    image.write_bytes(png_bytes())
    page.set_viewport_size({"width": width, "height": 720})
    browser_login(page, employee)
    page.goto("/checkin/")
    page.set_input_files("#id_image", str(image))
    page.click("#checkin-submit")
    page.wait_for_selector("#result:not([hidden])", timeout=30_000)

    assert page.text_content("#status-text") == "Scored."
    assert page.evaluate(IN_VIEW, "#status-text")
    assert page.evaluate(IN_VIEW, "#result-flow")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_refused_camera_says_so_where_it_can_be_seen(
    page, employee, browser_login, tiny_models, width
):
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    page.set_viewport_size({"width": width, "height": 720})
    browser_login(page, employee)
    page.goto("/checkin/")
    page.click("#camera-start")
    page.wait_for_selector("#status-text:has-text('Camera not available')")

    assert "NotAllowedError" in page.text_content("#status-text")
    assert page.evaluate(IN_VIEW, "#status-text")
