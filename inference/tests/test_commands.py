"""Management commands: register, activate, list, setup and predict."""

import csv
import io
import json

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inference import runtime
from inference.models import ModelVersion
from inference.testing import write_tiny_model, write_tiny_models
from inference.tests.media import audio_bytes, face_bytes, ffmpeg_encode, image_bytes

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_setup_models_with_an_empty_folder_says_so_and_succeeds(tmp_path, settings):
    settings.MODELS_DIR = tmp_path

    out, _ = run("setup_models")

    for kind in ("fatigue", "voice", "burnout"):
        assert f"{kind}: no model under {tmp_path}" in out
    assert not ModelVersion.objects.exists()


def test_setup_models_registers_and_activates_the_newest_of_each_kind(tmp_path, settings):
    settings.MODELS_DIR = tmp_path
    write_tiny_models(tmp_path, version="2026.10")
    write_tiny_model(tmp_path, "voice", version="2026.11")

    out, _ = run("setup_models")
    again, _ = run("setup_models")

    active = dict(ModelVersion.objects.filter(is_active=True).values_list("kind", "version"))
    assert active == {"fatigue": "2026.10", "voice": "2026.11", "burnout": "2026.10"}
    assert ModelVersion.objects.count() == 4
    assert "voice: 2026.11 active" in out and out == again


def test_setup_models_reports_a_corrupt_bundled_model(tmp_path, settings):
    settings.MODELS_DIR = tmp_path
    path = write_tiny_model(tmp_path, "fatigue", version="v1")
    path.write_bytes(path.read_bytes() + b"x")

    _, err = run("setup_models")

    assert "sha256 mismatch" in err
    assert not ModelVersion.objects.exists()


def test_register_activate_and_list_models(tmp_path):
    first = write_tiny_model(tmp_path, "voice", version="v1")
    second = write_tiny_model(tmp_path, "voice", version="v2")

    out, _ = run("register_model", str(first), "--activate")
    assert "Registered voice v1 (active)" in out
    run("register_model", str(second))
    out, _ = run("activate_model", "voice", "v2")
    assert "Active voice model: v2" in out

    listing, _ = run("list_models")
    assert "* voice    v2" in listing
    assert "  voice    v1" in listing
    assert "fatigue: no active fatigue model" in listing


def test_register_and_activate_errors_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("register_model", str(tmp_path / "missing.onnx"))
    with pytest.raises(CommandError, match="No voice model version"):
        run("activate_model", "voice", "v7")


def test_predict_images_prints_one_json_object_per_file(tiny_models, tmp_path):
    good = tmp_path / "face.jpg"
    good.write_bytes(face_bytes("JPEG", brightness=1.2))
    bad = tmp_path / "fake.png"
    bad.write_text("<html>not an image</html>")

    out, _ = run("predict", "fatigue", str(good), str(bad))

    first, second = json_lines(out)
    assert first["path"] == str(good)
    assert first["label"] == "fatigued"
    assert set(first["probabilities"]) == {"alert", "fatigued"}
    assert first["score"] == pytest.approx(first["probabilities"]["fatigued"], abs=1e-5)
    assert second == {"path": str(bad), "error": "Only JPEG, PNG and WebP images are accepted."}


def test_predict_voice_reads_webm_and_reports_silence(tiny_models, tmp_path):
    webm = ffmpeg_encode(tmp_path, ".webm", ["-c:a", "libopus"])
    silent = tmp_path / "silent.wav"
    silent.write_bytes(audio_bytes("WAV", samples=np.zeros(32000, np.float32)))

    out, _ = run("predict", "voice", str(webm), str(silent))

    first, second = json_lines(out)
    assert 0.0 <= first["score"] <= 1.0 and first["label"] in {"calm", "stressed"}
    assert "silent" in second["error"]


def test_predict_burnout_scores_every_csv_row(tiny_models, tmp_path):
    path = tmp_path / "employees.csv"
    columns = [
        "Employee ID",
        "Date of Joining",
        "Gender",
        "Company Type",
        "WFH Setup Available",
        "Designation",
        "Resource Allocation",
        "Mental Fatigue Score",
        "Burn Rate",
    ]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerow(["e1", "2008-06-24", "Male", "Service", "No", "3", "6", "7.1", "0.61"])
        writer.writerow(["e2", "2008-01-26", "Female", "Product", "Yes", "1", "", "", ""])
        writer.writerow(["e3", "yesterday", "Male", "Product", "Yes", "1", "3", "2", ""])

    out, _ = run("predict", "burnout", str(path))

    rows = json_lines(out)
    assert [row["row"] for row in rows] == [1, 2, 3]
    assert rows[0]["employee_id"] == "e1"
    assert rows[0]["score"] == pytest.approx(0.05 * 3 + 0.02 * 6 + 0.09 * 7.1, abs=1e-5)
    assert rows[1]["score"] == pytest.approx(0.05 * 1 - 0.05, abs=1e-5)
    assert "not an ISO date" in rows[2]["error"]


def test_predict_burnout_refuses_a_csv_without_the_columns(tiny_models, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")

    with pytest.raises(CommandError, match="missing CSV column"):
        run("predict", "burnout", str(path))


def test_predict_without_models_reports_each_file(tmp_path):
    runtime.reset()
    image = tmp_path / "face.png"
    image.write_bytes(image_bytes("PNG"))

    out, _ = run("predict", "fatigue", str(image))

    assert "No active fatigue model" in json_lines(out)[0]["error"]


def test_predict_is_a_usage_error_without_paths():
    with pytest.raises(CommandError):
        run("predict", "voice")
