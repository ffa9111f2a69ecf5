"""Voice features: the numpy mel front end, the bundled voice encoder, and prosody."""

import io
import json
import shutil

import numpy as np
import pytest
import soxr
from django.core import checks

from inference import services, voice, voice_features
from inference.errors import InvalidMedia, ModelUnavailable
from inference.tests.media import RATE, SPEECH_FIXTURES, audio_bytes, speech, speech_fixture


@pytest.fixture
def fresh_encoder():
    voice_features.reset()
    yield
    voice_features.reset()


def _harmonic_tone(f0: float, seconds: float = 3.0, *, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return sum(amplitude / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 6))


def _pitch_shifted(samples: np.ndarray, factor: float) -> np.ndarray:
    """Played ``factor`` times faster: every frequency, the voice's pitch and formants
    included, scaled by ``factor`` (a different-sounding speaker)."""
    return soxr.resample(samples, RATE, RATE / factor).astype(np.float32)


def test_the_mel_spectrogram_matches_librosa():
    librosa = pytest.importorskip("librosa")
    samples = speech_fixture("good-morning")

    expected = librosa.feature.melspectrogram(
        y=samples, sr=RATE, n_fft=400, hop_length=160, n_mels=40
    ).T
    got = voice_features.mel_spectrogram(samples)

    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) / expected.max() < 1e-5


def test_partial_utterances_cover_the_clip_in_overlapping_windows():
    slices = voice_features.partial_slices(5 * RATE)

    assert all(s.stop - s.start == voice_features.PARTIAL_FRAMES for s in slices)
    assert slices[0].start == 0
    assert slices[-1].stop * voice_features.MEL_HOP >= 0.75 * 5 * RATE
    assert len(voice_features.partial_slices(RATE)) == 1


def test_the_embedding_is_unit_length_deterministic_and_level_independent(fresh_encoder):
    samples = speech_fixture("good-morning")

    first = voice_features.embed(samples)

    assert first.shape == (voice_features.EMBEDDING_SIZE,)
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(first, voice_features.embed(samples))
    # Quiet clips are raised to the same level before the mel spectrogram.
    np.testing.assert_allclose(
        voice_features.embed(samples * 0.05), voice_features.embed(samples * 0.1), atol=1e-5
    )


def test_the_embedding_tells_one_voice_from_another(fresh_encoder):
    voice_a = [voice_features.embed(speech_fixture(name)) for name in SPEECH_FIXTURES[:2]]
    voice_b = [
        voice_features.embed(_pitch_shifted(speech_fixture(name), 1.5))
        for name in SPEECH_FIXTURES[:2]
    ]

    same_voice = min(float(voice_a[0] @ voice_a[1]), float(voice_b[0] @ voice_b[1]))
    other_voice = max(float(a @ b) for a in voice_a for b in voice_b)

    assert same_voice > 0.85
    assert same_voice - other_voice > 0.2


@pytest.mark.parametrize("f0", [80.0, 150.0, 220.0, 400.0])
def test_the_pitch_tracker_finds_the_fundamental_not_an_octave_below(f0):
    pitch = voice_features.track_pitch(_harmonic_tone(f0))

    assert np.isfinite(pitch.f0).mean() > 0.95
    assert np.nanmedian(pitch.f0) == pytest.approx(f0, rel=0.005)


def test_a_steady_tone_has_no_jitter_shimmer_or_pitch_movement():
    tone = _harmonic_tone(150.0)

    loud = voice_features.prosody(tone, segments=[(0, tone.size)])
    quiet = voice_features.prosody(tone * 0.05, segments=[(0, tone.size)])

    assert set(loud) == set(voice_features.PROSODY_FEATURES)
    assert loud["f0_median_st"] == pytest.approx(12 * np.log2(1.5), abs=0.01)
    assert loud["jitter"] < 1e-4 and loud["shimmer_db"] < 0.01 and loud["f0_range_st"] < 0.01
    assert loud["hnr_db"] > 20
    assert quiet["f0_median_st"] == pytest.approx(loud["f0_median_st"], abs=1e-6)
    assert quiet["jitter"] == pytest.approx(loud["jitter"], abs=1e-6)


def test_prosody_follows_pitch_and_pauses_in_real_speech():
    clip = speech_fixture("good-morning")
    low = voice_features.prosody(clip, segments=[(0, clip.size)])
    higher = _pitch_shifted(clip, 1.25)
    high = voice_features.prosody(higher, segments=[(0, higher.size)])
    half = clip.size // 2
    paused = voice_features.prosody(clip, segments=[(0, half), (half + RATE // 2, clip.size)])

    assert all(np.isfinite(v) for v in low.values())
    assert high["f0_median_st"] - low["f0_median_st"] == pytest.approx(12 * np.log2(1.25), abs=0.6)
    assert low["pause_rate"] == 0 and paused["pause_rate"] > 0
    assert paused["pause_share"] > low["pause_share"]
    assert 1.0 < low["syllable_rate"] < 8.0


def test_analysis_computes_only_the_features_a_head_asks_for(fresh_encoder, monkeypatch):
    analysis = voice.analyse_speech(speech(3.0))
    monkeypatch.setattr(voice_features, "embed", lambda _: pytest.fail("embedding computed"))

    row = analysis.features(["f0_median_st", "jitter"])

    assert row.shape == (1, 2) and row.dtype == np.float32
    with pytest.raises(ValueError, match="Unknown voice features"):
        analysis.features(["f0_median_st", "no_such_feature"])


def test_a_clip_without_a_second_of_speech_is_refused_before_any_feature(fresh_encoder):
    with pytest.raises(InvalidMedia, match="speech"):
        voice.analyse_speech(speech(0.6))
    assert voice_features.status()["loaded"] is False


def test_the_tiny_head_scores_a_higher_voice_as_more_stressed(tiny_models):
    low = services.score_audio(io.BytesIO(audio_bytes("WAV")))
    high = services.score_audio(
        io.BytesIO(audio_bytes("WAV", samples=_pitch_shifted(speech(), 1.6)))
    )

    assert high.probabilities["stressed"] > low.probabilities["stressed"]


def _copy_encoder(tmp_path):
    target = tmp_path / "voice_encoder"
    shutil.copytree(voice_features.encoder_dir(), target)
    return target


def test_a_missing_encoder_refuses_to_score_with_a_readable_reason(
    fresh_encoder, settings, tmp_path
):
    settings.VOICE_ENCODER_DIR = tmp_path / "nowhere"

    with pytest.raises(ModelUnavailable, match="voice encoder is missing") as err:
        voice_features.embed(speech(2.0))

    assert err.value.status_code == 503
    assert voice_features.status()["ok"] is False


def test_an_altered_encoder_is_refused(fresh_encoder, settings, tmp_path):
    folder = _copy_encoder(tmp_path)
    with (folder / "voice_encoder.onnx").open("ab") as handle:
        handle.write(b"\0")
    settings.VOICE_ENCODER_DIR = folder

    with pytest.raises(ModelUnavailable, match="missing or altered"):
        voice_features.load()
    assert voice_features.status()["sha256_ok"] is False


def test_the_bundled_encoder_is_healthy_and_loads(fresh_encoder):
    source = voice_features.load()

    manifest = json.loads((voice_features.encoder_dir() / "manifest.json").read_text())
    assert source == manifest["source"]
    assert voice_features.status() == {
        "ok": True,
        "version": manifest["source"],
        "sha256_ok": True,
        "loaded": True,
        "error": None,
    }
    assert manifest["models"]["voice_encoder"]["max_abs_difference"] < 1e-4
    assert (
        (voice_features.encoder_dir() / "LICENSE").read_text().strip().startswith("Apache License")
    )


def test_healthz_is_503_without_the_encoder(client, tiny_models, fresh_encoder, settings, tmp_path):
    settings.VOICE_ENCODER_DIR = tmp_path / "nowhere"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["models"]["voice_encoder"]["ok"] is False


@pytest.mark.django_db
def test_the_system_check_warns_without_the_encoder(fresh_encoder, settings, tmp_path):
    settings.VOICE_ENCODER_DIR = tmp_path / "nowhere"

    messages = [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "inference.W004"]

    assert len(messages) == 1
    assert "convert_voice_encoder" in messages[0].hint
