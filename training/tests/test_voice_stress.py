"""The voice feature model's parts: actor folds, the head and its ONNX, calibration, the
encoder conversion, and evaluation on an operator's own folder of labelled clips."""

import io
import json
import zipfile

import numpy as np
import pytest
import soundfile
from django.core.management import call_command
from django.core.management.base import CommandError

from inference import voice_features
from inference.tests.media import RATE, speech_fixture
from training import voice_stress
from training.artifacts import ort_session
from training.datasets import speech_samples


def test_actor_folds_hold_every_speaker_out_exactly_once_with_both_sexes_in_each():
    speakers = [f"ravdess-{n:02d}" for n in range(1, 25)] * 3

    folds = voice_stress.actor_folds(speakers, folds=5, seed=7)

    flat = [s for fold in folds for s in fold]
    assert sorted(flat) == sorted(set(speakers))
    assert all(4 <= len(fold) <= 5 for fold in folds)
    for fold in folds:
        numbers = {int(s.split("-")[1]) % 2 for s in fold}
        assert numbers == {0, 1}  # odd actors are men, even ones women
    assert voice_stress.actor_folds(speakers, folds=5, seed=8) != folds


def test_actor_folds_refuse_fewer_speakers_than_folds():
    with pytest.raises(ValueError, match="at least 5 speakers"):
        voice_stress.actor_folds(["a", "b", "a"], folds=5, seed=0)


def _separable(n: int = 120, d: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, d)) * np.array([1.0, 5.0, 0.1, 2.0])
    x[:, 0] += 2.5 * y
    return x, y


def test_the_exported_head_gives_the_same_probabilities_as_numpy(tmp_path):
    x, y = _separable()
    head = voice_stress.fit_head(x, y, features=("a", "b", "c", "d"), c=0.3).calibrated(0.8, -0.1)
    path = tmp_path / "head.onnx"

    voice_stress.export_head(head, path)
    out = ort_session(path, threads=1).run(None, {"features": x.astype(np.float32)})[0]

    np.testing.assert_allclose(out[:, 1], head.probabilities(x), atol=1e-5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-6)
    assert np.mean((out[:, 1] >= 0.5) == y) > 0.85


def test_calibration_moves_scores_not_their_order():
    x, y = _separable(seed=1)
    head = voice_stress.fit_head(x, y, features=tuple("abcd"), c=1.0)
    logits = head.logits(x) * 3 + 1.5  # overconfident and biased towards "stressed"

    slope, offset = voice_stress.platt(logits, y)
    calibrated = 1 / (1 + np.exp(-(slope * logits + offset)))

    assert 0 < slope < 1
    assert np.array_equal(np.argsort(calibrated), np.argsort(logits))
    biased = 1 / (1 + np.exp(-logits))
    assert np.mean(calibrated[y == 0] < 0.5) > np.mean(biased[y == 0] < 0.5)
    balanced = (np.mean(calibrated[y == 0] < 0.5) + np.mean(calibrated[y == 1] >= 0.5)) / 2
    assert balanced > 0.85


def test_the_summary_gives_mean_spread_and_range():
    folds = [{"metrics": {"roc_auc": value}} for value in (0.6, 0.8, 0.7)]

    summary = voice_stress.summarise_folds(folds, keys=("roc_auc",))

    assert summary["folds"] == 3
    assert summary["roc_auc"] == {"mean": 0.7, "std": 0.1, "min": 0.6, "max": 0.8}


def _fake_wheel(path, *, with_weights: bool = True):
    torch = pytest.importorskip("torch")
    from training.voice_encoder import VoiceEncoder

    torch.manual_seed(0)
    state = {**VoiceEncoder().state_dict(), "similarity_weight": torch.tensor([10.0])}
    buffer = io.BytesIO()
    torch.save({"model_state": state}, buffer)
    with zipfile.ZipFile(path, "w") as archive:
        if with_weights:
            archive.writestr("resemblyzer/pretrained.pt", buffer.getvalue())
        archive.writestr("Resemblyzer-0.1.4.dist-info/LICENSE", "Apache License 2.0 (test)")
    return path


def test_convert_voice_encoder_exports_a_checked_onnx_and_manifest(tmp_path, settings):
    wheel = _fake_wheel(tmp_path / "Resemblyzer-0.1.4-py3-none-any.whl")
    out = tmp_path / "encoder"

    call_command("convert_voice_encoder", "--wheel", str(wheel), "--out", str(out))

    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["models"]["voice_encoder"]
    assert manifest["source"] == wheel.name
    assert entry["max_abs_difference"] < 1e-4
    assert (out / "LICENSE").read_text().startswith("Apache")
    from training.voice_encoder import VoiceEncoder, from_onnx

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    original = VoiceEncoder().state_dict()  # the weights _fake_wheel saved
    restored = from_onnx(out / "voice_encoder.onnx").state_dict()
    assert set(restored) == set(original)
    assert all(torch.equal(restored[name], original[name]) for name in original)
    settings.VOICE_ENCODER_DIR = out
    voice_features.reset()
    try:
        embedding = voice_features.embed(speech_fixture("good-morning"))
    finally:
        voice_features.reset()
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)


def test_convert_voice_encoder_refuses_a_wheel_without_the_weights(tmp_path):
    wheel = _fake_wheel(tmp_path / "other.whl", with_weights=False)

    with pytest.raises(CommandError, match=r"has no resemblyzer/pretrained\.pt"):
        call_command("convert_voice_encoder", "--wheel", str(wheel), "--out", str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_clips_in_folders_named_for_their_label_are_read_with_their_speaker(tmp_path):
    for speaker, label in (("ann", "stressed"), ("ann", "calm"), ("bob", "not_stressed")):
        folder = tmp_path / "mine" / speaker / label
        folder.mkdir(parents=True)
        soundfile.write(folder / "clip.wav", speech_fixture("good-morning"), RATE)
    (tmp_path / "mine" / "notes").mkdir()
    soundfile.write(tmp_path / "mine" / "notes" / "x.wav", speech_fixture("good-morning"), RATE)

    samples = speech_samples([tmp_path / "mine"])

    assert sorted((s.speaker, s.emotion) for s in samples) == [
        ("folder-ann", "calm"),
        ("folder-ann", "stressed"),
        ("folder-bob", "not_stressed"),
    ]
