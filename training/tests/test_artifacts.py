import numpy as np
import pytest

from training import artifacts, cards
from training.evaluation import classification_metrics, regression_metrics


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "m" / "model.onnx"
    artifacts.atomic_write_bytes(target, b"one")
    artifacts.atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["model.onnx"]


def test_parity_check_fails_when_outputs_differ(tmp_path):
    from inference.testing import fatigue_graph

    path = tmp_path / "f.onnx"
    path.write_bytes(fatigue_graph().SerializeToString())
    x = np.random.default_rng(0).normal(size=(2, 3, 224, 224)).astype(np.float32)
    session = artifacts.ort_session(path)
    exact = session.run(None, {"pixel_values": x})[0]
    assert artifacts.check_parity(path, "pixel_values", [x], lambda a: exact) == 0.0
    with pytest.raises(artifacts.ParityError, match="differs"):
        artifacts.check_parity(path, "pixel_values", [x], lambda a: exact + 1e-3)


def test_classification_metrics_on_a_known_case():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    result = classification_metrics([0, 1, 1, 1], probs, ["alert", "fatigued"])
    assert result["accuracy"] == 0.75
    assert result["balanced_accuracy"] == pytest.approx((1 + 2 / 3) / 2)
    assert result["roc_auc"] == 1.0
    assert result["confusion_matrix"]["matrix"] == [[1, 0], [1, 2]]


def test_regression_metrics_on_a_known_case():
    result = regression_metrics([0.0, 1.0], [0.0, 0.5])
    assert result["mae"] == 0.25
    assert result["rmse"] == pytest.approx(np.sqrt(0.125))
    assert result["r2"] == pytest.approx(0.5)


def test_model_card_markdown_shows_targets_not_met():
    card = {
        "kind": "voice",
        "version": "v",
        "onnx_file": "voice-v.onnx",
        "sha256": "ab" * 32,
        "model": {"architecture": "Wav2Vec2"},
        "data": {"name": "RAVDESS", "origin": "Zenodo", "licence": "CC BY-NC-SA 4.0"},
        "split": {"method": "by speaker", "seed": 7, "test_groups": ["ravdess-03"]},
        "metrics": {"stress": {"balanced_accuracy": 0.61}},
        "targets": [{"name": "bal acc", "required": 0.75, "measured": 0.61, "met": False}],
        "training": {"epochs": 3},
        "limits": ["few speakers"],
        "reproduce": "python manage.py train voice",
        "split_checks": [
            {"seed": 8, "test_groups": ["ravdess-05"], "metrics": {"stress": {"accuracy": 0.5}}}
        ],
    }
    text = cards.render_markdown(card)
    assert "| 8 | ravdess-05 | stress: accuracy 0.5000 |" in text
    assert "| bal acc | 0.7500 | 0.6100 | NO |" in text
    assert "ravdess-03" in text and "few speakers" in text and "CC BY-NC-SA 4.0" in text
