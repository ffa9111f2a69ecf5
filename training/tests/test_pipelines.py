"""Train -> export -> parity -> publish -> register -> score, on tiny synthetic data."""

import json
from pathlib import Path

import numpy as np
import pytest

from inference import services
from inference.models import ModelVersion
from training.artifacts import PARITY_TOLERANCE, sha256_file
from training.config import TrainOptions
from training.services import training_run
from training.tests.synthetic import write_burnout_csv, write_image_folders, write_speech_folder

SIDECAR_KEYS = {
    "format_version",
    "kind",
    "version",
    "onnx_file",
    "sha256",
    "input_name",
    "output_name",
    "output",
    "metrics",
    "model_card",
    "training",
}


def _options(kind, data_dirs, tmp_path, **extra) -> TrainOptions:
    return TrainOptions(
        kind=kind,
        data_dirs=tuple(data_dirs),
        out_dir=tmp_path / "work" / kind,
        version="t1",
        config="tiny",
        progress=False,
        **extra,
    )


def _check_files(published: Path, kind: str) -> dict:
    sidecar = json.loads(published.with_suffix(".json").read_text())
    assert set(sidecar) >= SIDECAR_KEYS
    assert sidecar["kind"] == kind
    assert sidecar["sha256"] == sha256_file(published)
    assert sidecar["training"]["parity_max_abs_diff"] <= PARITY_TOLERANCE
    card = json.loads(published.with_name(f"{published.stem}.card.json").read_text())
    markdown = published.with_name(sidecar["model_card"]).read_text()
    assert card["split"]["seed"] == 7
    assert "## Held-out metrics" in markdown and "## Reproduce" in markdown
    return sidecar


@pytest.mark.django_db
def test_burnout_trains_exports_registers_and_scores(tmp_path, models_dir):
    csv_path = write_burnout_csv(tmp_path / "data" / "train.csv", rows=200)
    result = training_run(
        options=_options("burnout", [csv_path.parent], tmp_path),
        publish_dir=models_dir,
        register=True,
        activate=True,
        log=lambda _: None,
    )
    published = models_dir / "burnout" / "burnout-t1.onnx"
    sidecar = _check_files(published, "burnout")
    assert sidecar["features"][5] == "mental_fatigue"
    assert result.card["metrics"]["test_complete_rows"]["n"] > 0
    version = ModelVersion.objects.get(kind="burnout", is_active=True)
    assert version.version == "t1"
    assert "r2" in version.metrics

    low = services.score_burnout({"mental_fatigue": 1.0, "resource_allocation": 3})
    high = services.score_burnout({"mental_fatigue": 9.0, "resource_allocation": 3})
    missing = services.score_burnout({k: None for k in ("tenure_days", "mental_fatigue")})
    assert 0.0 <= low.score < high.score <= 1.0
    assert 0.0 <= missing.score <= 1.0
    assert high.model_version == "t1"


def test_an_unchanged_run_is_skipped_and_a_changed_one_is_not(tmp_path):
    csv_path = write_burnout_csv(tmp_path / "data" / "train.csv", rows=120)
    options = _options("burnout", [csv_path.parent], tmp_path)
    first = training_run(options=options, log=lambda _: None)
    again = training_run(options=options, log=lambda _: None)
    assert not first.skipped and again.skipped
    assert again.sidecar["sha256"] == first.sidecar["sha256"]
    write_burnout_csv(csv_path, rows=120, seed=1)
    changed = training_run(options=options, log=lambda _: None)
    assert not changed.skipped


@pytest.mark.django_db
def test_fatigue_trains_exports_both_variants_registers_and_scores(tmp_path, models_dir):
    roots = write_image_folders(tmp_path / "data", per_class=8)
    result = training_run(
        options=_options("fatigue", roots.values(), tmp_path),
        publish_dir=models_dir,
        register=True,
        activate=True,
        log=lambda _: None,
    )
    published = models_dir / "fatigue" / "fatigue-t1.onnx"
    sidecar = _check_files(published, "fatigue")
    assert sidecar["labels"] == ["alert", "fatigued"]
    assert sidecar["preprocessing"]["image_size"] == 32
    assert set(result.card["variants"]) == {"fp32", "int8"}
    assert set(result.card["metrics"]) == {"all", "eyes", "yawn"}
    matrix = result.card["metrics"]["all"]["confusion_matrix"]["matrix"]
    assert np.sum(matrix) == result.card["split"]["test"]

    image = next((tmp_path / "data" / "yawn" / "yawn").iterdir())
    score = services.score_image(image)
    assert 0.0 <= score.score <= 1.0
    assert set(score.probabilities) == {"alert", "fatigued"}
    assert score.model_version == "t1"


@pytest.mark.django_db
def test_voice_feature_model_cross_validates_by_actor_registers_and_scores(tmp_path, models_dir):
    root = write_speech_folder(tmp_path / "ravdess", actors=5)
    result = training_run(
        options=_options("voice", [root], tmp_path),
        publish_dir=models_dir,
        register=True,
        activate=True,
        log=lambda _: None,
    )
    cv = result.card["cross_validation"]
    assert set(cv) == {"prosody", "embedding", "embedding+prosody"}
    assert result.card["training"]["chosen"] in cv
    assert cv["prosody"]["folds"] == 15 and cv["prosody"]["fold_assignments"] == 3
    sidecar = _check_files(models_dir / "voice" / "voice-t1.onnx", "voice")
    assert sidecar["pipeline"] == "voice-features-v1"
    assert sidecar["labels"] == ["not_stressed", "stressed"]
    assert len(sidecar["features"]) == len(cv_features(result.card["training"]["chosen"]))
    junk = result.card["robustness"]["junk (5 s clips)"]
    assert set(junk.values()) == {"refused"}

    clip = next(root.rglob("*-04-01-01-01-*.flac"))
    score = services.score_audio(clip)
    assert 0.0 <= score.score <= 1.0
    assert score.model_version == "t1"


def cv_features(name: str) -> tuple[str, ...]:
    from training.voice_stress import CANDIDATES

    return CANDIDATES[name]


@pytest.mark.django_db
def test_voice_wav2vec2_trains_by_speaker_registers_and_scores(tmp_path, models_dir):
    root = write_speech_folder(tmp_path / "ravdess", actors=5)
    result = training_run(
        options=_options("voice", [root], tmp_path, architecture="wav2vec2"),
        publish_dir=models_dir,
        register=True,
        activate=True,
        log=lambda _: None,
    )
    split = result.card["split"]
    assert not set(split["test_groups"]) & set(split["train_groups"])
    assert len(split["test_groups"]) == 1
    sidecar = _check_files(models_dir / "voice" / "voice-t1.onnx", "voice")
    assert sidecar["labels"] == ["not_stressed", "stressed"]
    assert sidecar["score_weights"] == {"not_stressed": 0.0, "stressed": 1.0}
    assert set(result.card["variants"]) == {"fp32", "int8"}

    clip = next(root.rglob("*.flac"))
    score = services.score_audio(clip)
    assert 0.0 <= score.score <= 1.0
    assert score.model_version == "t1"


def test_voice_emotion8_scheme_records_per_class_weights(tmp_path):
    root = write_speech_folder(tmp_path / "ravdess", actors=4, per_emotion=1)
    result = training_run(
        options=_options(
            "voice", [root], tmp_path, architecture="wav2vec2", scheme="emotion8", quantize=False
        ),
        log=lambda _: None,
    )
    assert result.sidecar["labels"][4] == "angry"
    assert result.sidecar["score_weights"]["angry"] == 0.9
    assert set(result.card["metrics"]) == {"stress", "emotion"}
    assert set(result.card["variants"]) == {"fp32"}
