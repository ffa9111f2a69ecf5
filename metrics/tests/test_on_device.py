"""Private mode on the server: the manifest, the model files, and check-ins that carry only
scores (range checks, stale model versions, who may send them, rate limits)."""

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from inference import face
from metrics.models import CheckIn, DailyMetric

pytestmark = pytest.mark.django_db


@pytest.fixture
def private(settings):
    settings.PRIVATE_MODE = "required"
    cache.clear()  # throttle counters
    yield settings
    cache.clear()


def _manifest(client) -> dict:
    response = client.get("/api/v1/device/manifest/")
    assert response.status_code == 200, response.content
    return response.json()


def _body(manifest: dict, **scores) -> dict:
    kinds = {"fatigue": "fatigue", "stress": "voice"}
    return {
        "scores": scores,
        "model_versions": {
            kinds[name]: {
                "version": manifest["kinds"][kinds[name]]["version"],
                "digest": manifest["kinds"][kinds[name]]["digest"],
            }
            for name in scores
        },
        "hours_worked": 8,
    }


def _post(client, body):
    return client.post("/api/v1/sync/", data=json.dumps(body), content_type="application/json")


def test_the_manifest_names_every_file_the_browser_runs(client, employee, tiny_models, private):
    client.force_login(employee)

    manifest = _manifest(client)

    assert manifest["mode"] == "required" and manifest["on_device"] is True
    assert set(manifest["kinds"]) == {"fatigue", "voice"}
    assert set(manifest["kinds"]["fatigue"]["files"]) == {"model", "detector", "landmarks"}
    assert set(manifest["kinds"]["voice"]["files"]) == {"model", "vad", "encoder"}
    assert manifest["kinds"]["voice"]["sidecar"]["pipeline"] == "voice-features-v1"
    assert manifest["runtime"]["module"].endswith("ort.wasm.min.mjs")
    for kind in manifest["kinds"].values():
        for file in kind["files"].values():
            response = client.get(file["url"])
            content = b"".join(response.streaming_content)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/octet-stream"
            assert "immutable" in response["Cache-Control"]
            assert hashlib.sha256(content).hexdigest() == file["sha256"]
            assert len(content) == file["bytes"]


def face_manifest() -> dict:
    return json.loads((Path(settings.FACE_MODELS_DIR) / "manifest.json").read_text())


def test_a_combiner_that_reads_the_lids_brings_the_eye_model(
    client, employee, tiny_models, private
):
    fatigue = tiny_models["fatigue"]
    eyes = fatigue.metadata["combiner"]["eyes"]
    fatigue.metadata["combiner"]["eyes"] = {
        **eyes,
        "features": ["logit_eyes", "lid_ear_mean"],
        "coef": [*eyes["coef"][:1], -5.0],
    }
    fatigue.save(update_fields=["metadata"])
    client.force_login(employee)

    files = _manifest(client)["kinds"]["fatigue"]["files"]

    assert set(files) == {"model", "detector", "landmarks", "eyes"}
    assert files["eyes"]["sha256"] == face_manifest()["models"][face.EYES]["sha256"]


def test_only_files_of_active_on_device_models_are_served(client, employee, tiny_models, private):
    client.force_login(employee)

    assert client.get(f"/device/models/{'0' * 64}.onnx").status_code == 404
    assert client.get("/device/models/..%2F..%2Fsettings.onnx").status_code == 404


def test_a_device_check_in_is_recorded_as_scored_from_its_scores(
    client, employee, tiny_models, private
):
    client.force_login(employee)
    manifest = _manifest(client)

    response = _post(client, _body(manifest, fatigue=0.2, stress=0.3))

    body = response.json()
    assert response.status_code == 201, body
    checkin = CheckIn.objects.get(pk=body["id"])
    assert checkin.source == "device" and checkin.status == "done"
    assert (checkin.fatigue, checkin.stress) == (0.2, 0.3)
    assert checkin.burnout is not None and checkin.flow_score is not None
    assert not checkin.image and not checkin.audio
    assert checkin.model_versions == {"fatigue": "tiny-1", "voice": "tiny-1", "burnout": "tiny-1"}
    day = DailyMetric.objects.get(user=employee, date=checkin.local_date)
    assert day.flow_score == pytest.approx(checkin.flow_score)
    assert body["source"] == "device"
    # The day so far, as a server-scored check-in's status has it ("Today so far" on the page).
    assert body["day"]["checkin_count"] == 1
    assert body["day"]["flow_score"] == pytest.approx(day.flow_score)


def test_a_check_in_made_with_other_models_is_refused_with_the_versions_to_load(
    client, employee, tiny_models, private
):
    client.force_login(employee)
    body = _body(_manifest(client), stress=0.3)
    body["model_versions"]["voice"]["digest"] = "0" * 64

    response = _post(client, body)

    assert response.status_code == 409
    assert "reload the page" in response.json()["detail"]
    assert response.json()["active"]["voice"]["version"] == "tiny-1"
    assert not CheckIn.objects.exists() and not DailyMetric.objects.exists()


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"fatigue": 1.5}, "less than or equal to 1"),
        ({"stress": -0.1}, "greater than or equal to 0"),
        ({"stress": "high"}, "valid number"),
        ({}, "Send a fatigue score, a stress score, or both."),
    ],
)
def test_out_of_range_or_missing_scores_are_400_and_write_nothing(
    client, employee, tiny_models, private, scores, message
):
    client.force_login(employee)
    manifest = _manifest(client)
    body = _body(manifest, **{k: 0.5 for k in scores})
    body["scores"] = scores

    response = _post(client, body)

    assert response.status_code == 400
    assert message in json.dumps(response.json())
    assert not CheckIn.objects.exists()


def test_malformed_json_and_not_a_number_are_400(client, employee, tiny_models, private):
    client.force_login(employee)

    broken = client.post("/api/v1/sync/", data="{", content_type="application/json")
    nan = client.post(
        "/api/v1/sync/", data='{"scores": {"stress": NaN}}', content_type="application/json"
    )

    assert broken.status_code == 400 and "JSON" in broken.json()["detail"]
    assert nan.status_code == 400
    assert not CheckIn.objects.exists()


def test_scores_are_refused_when_private_mode_is_off_or_not_chosen(
    client, employee, tiny_models, settings
):
    cache.clear()
    client.force_login(employee)
    settings.PRIVATE_MODE = "required"
    body = _body(_manifest(client), stress=0.3)

    settings.PRIVATE_MODE = "off"
    off = _post(client, body)
    settings.PRIVATE_MODE = "optional"
    not_chosen = _post(client, body)
    client.post("/me/data/on-device/", {"scores_on_device": "on"})
    chosen = _post(client, body)

    assert off.status_code == 403 and "turned off" in off.json()["detail"]
    assert not_chosen.status_code == 403 and "My data" in not_chosen.json()["detail"]
    assert chosen.status_code == 201
    employee.refresh_from_db()
    assert employee.scores_on_device is True


def test_managers_cannot_send_scores(client, manager, tiny_models, private):
    client.force_login(manager)

    response = _post(client, {"scores": {"stress": 0.1}, "model_versions": {}})

    assert response.status_code == 403


def test_device_check_ins_have_their_own_daily_limit(
    client, employee, tiny_models, private, monkeypatch
):
    from metrics.throttles import DeviceCheckinThrottle

    monkeypatch.setattr(DeviceCheckinThrottle, "THROTTLE_RATES", {"device_checkin": "2/day"})
    client.force_login(employee)
    body = _body(_manifest(client), stress=0.3)

    codes = [_post(client, body).status_code for _ in range(3)]

    assert codes == [201, 201, 429]
    assert CheckIn.objects.count() == 2


def test_the_check_in_page_allows_webassembly_only_when_scoring_on_device(
    client, employee, tiny_models, settings
):
    client.force_login(employee)

    settings.PRIVATE_MODE = "off"
    server = client.get("/checkin/")
    settings.PRIVATE_MODE = "required"
    device_page = client.get("/checkin/")

    assert "wasm-unsafe-eval" not in server["Content-Security-Policy"]
    assert "'wasm-unsafe-eval'" in device_page["Content-Security-Policy"]
    assert "unsafe-eval'" not in device_page["Content-Security-Policy"].replace(
        "wasm-unsafe-eval'", ""
    )
    assert "wasm-unsafe-eval" not in client.get("/me/trends/")["Content-Security-Policy"]


def test_admins_see_each_teams_share_of_check_ins_scored_on_device(
    client, admin_user, employee, teammate, team
):
    for user, source in ((employee, "device"), (teammate, "server"), (teammate, "server")):
        CheckIn.objects.create(user=user, status="done", source=source)
    client.force_login(admin_user)

    response = client.get("/admin/teams/team/")

    assert response.status_code == 200
    assert "Scored on device (30 days)" in response.content.decode()
    assert "33% of 3" in response.content.decode()


def test_the_system_check_warns_when_private_mode_lacks_the_browser_runtime(settings, monkeypatch):
    from django.core import checks

    from inference import device

    settings.PRIVATE_MODE = "optional"
    monkeypatch.setattr(device, "runtime_dir", lambda: None)

    messages = [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "inference.W005"]

    assert len(messages) == 1 and "vendor_browser_runtime.sh" in messages[0].hint
    settings.PRIVATE_MODE = "off"
    assert not [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "inference.W005"]


def test_my_data_says_how_much_the_first_download_is(client, employee, tiny_models, private):
    private.PRIVATE_MODE = "optional"
    client.force_login(employee)
    manifest = _manifest(client)
    runtime = (
        Path(settings.BASE_DIR)
        / "static"
        / manifest["runtime"]["wasm_paths"].split("/static/", 1)[1]
    )
    expected = sum(p.stat().st_size for p in runtime.iterdir() if p.suffix in (".mjs", ".wasm"))
    expected += sum(
        f["bytes"] for kind in manifest["kinds"].values() for f in kind["files"].values()
    )

    page = client.get("/me/data/").content.decode()

    assert f"runtime, {round(expected / 1e6, 1)} MB, are downloaded once" in page
