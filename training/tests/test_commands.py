import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from inference.models import ModelVersion
from training.tests.synthetic import write_burnout_csv


def _call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_train_burnout_publishes_registers_and_evaluates(tmp_path, models_dir):
    data = write_burnout_csv(tmp_path / "data" / "train.csv", rows=150).parent
    out = _call(
        "train_burnout",
        "--data-dir",
        str(data),
        "--out",
        str(tmp_path / "work"),
        "--config",
        "tiny",
        "--model-version",
        "c1",
        "--publish",
        "--activate",
    )
    assert "R² on complete test rows" in out
    assert ModelVersion.objects.get(kind="burnout", is_active=True).version == "c1"
    card = json.loads((models_dir / "burnout" / "burnout-c1.card.json").read_text())
    assert card["reproduce"].startswith("python manage.py train burnout --data-dir")

    report = json.loads(_call("evaluate_model", "burnout", "--data-dir", str(data)))
    assert report["test_complete_rows"]["r2"] == pytest.approx(
        card["metrics"]["test_complete_rows"]["r2"], abs=1e-6
    )
    _call("evaluate_model", "burnout", "--data-dir", str(data), "--part", "all", "--write-card")
    card = json.loads((models_dir / "burnout" / "burnout-c1.card.json").read_text())
    assert card["evaluations"][0]["part"] == "all"
    assert "## Evaluation" in (models_dir / "burnout" / "burnout-c1.md").read_text()


def test_train_refuses_a_missing_data_folder(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("train", "voice", "--data-dir", str(tmp_path / "nope"))


def test_train_refuses_a_folder_without_labelled_speech(tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "hello.wav").write_bytes(b"RIFF")
    with pytest.raises(CommandError, match="No speech files"):
        call_command(
            "train", "voice", "--data-dir", str(tmp_path / "clips"), "--out", str(tmp_path / "w")
        )


def test_train_refuses_a_pretrained_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(CommandError, match="not a Hugging Face model folder"):
        call_command("train", "fatigue", "--data-dir", str(tmp_path), "--pretrained", str(tmp_path))


@pytest.mark.django_db
def test_evaluate_model_without_a_model_says_so(tmp_path, models_dir):
    with pytest.raises(CommandError, match="No active fatigue model"):
        call_command("evaluate_model", "fatigue", "--data-dir", str(tmp_path))


def test_download_datasets_without_credentials_says_where_to_put_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle"))
    with pytest.raises(CommandError) as excinfo:
        call_command("download_datasets", "--dest", str(tmp_path / "ds"))
    message = str(excinfo.value)
    assert "Cannot download" in message
    assert "redwankarimsony/hackerearth-employee-burnout-challenge" in message
    assert "uwrfkaggler/ravdess-emotional-speech-audio" in message
    assert "ismailnasri20/driver-drowsiness-dataset-ddd" in message
    assert str(tmp_path / "ds" / "ravdess") in message


@pytest.mark.django_db
def test_evaluate_model_scores_the_bundled_voice_model_on_a_folder_of_labelled_clips(tmp_path):
    import numpy as np
    import soundfile
    import soxr
    from django.conf import settings

    from inference.tests.media import RATE, SPEECH_FIXTURES, speech_fixture

    for index, name in enumerate(SPEECH_FIXTURES):
        calm = tmp_path / "mine" / f"p{index}" / "calm"
        stressed = tmp_path / "mine" / f"p{index}" / "stressed"
        calm.mkdir(parents=True)
        stressed.mkdir(parents=True)
        clip = speech_fixture(name)
        soundfile.write(calm / f"{name}.wav", clip, RATE)
        fast = soxr.resample(clip, RATE, RATE / 1.3).astype(np.float32)
        soundfile.write(stressed / f"{name}.wav", fast, RATE)
    soundfile.write(
        tmp_path / "mine" / "p0" / "stressed" / "hum.wav",
        (0.3 * np.sin(2 * np.pi * 50 * np.arange(3 * RATE) / RATE)).astype(np.float32),
        RATE,
    )
    bundled = sorted((settings.BASE_DIR / "models" / "voice").glob("voice-*.onnx"))[-1]

    out = _call(
        "evaluate_model",
        "voice",
        "--data-dir",
        str(tmp_path / "mine"),
        "--model",
        str(bundled),
        "--part",
        "all",
    )

    metrics = json.loads(out)
    assert metrics["rejected_clips"] == 1  # the hum: no speech, refused rather than scored
    assert sum(metrics["stress"]["confusion_matrix"]["matrix"][0]) == 4
    assert metrics["stress"]["calm_below_half"] == 1.0
