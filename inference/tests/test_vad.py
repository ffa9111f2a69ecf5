"""Speech detection: parity with silero-vad 6.2.3, what it refuses, and the bundled model file.

The expected numbers were derived once from the package's own implementation
(``silero_vad.load_silero_vad(onnx=True)`` + ``get_speech_timestamps`` with torch 2.13, on the
same committed fixtures); this test suite never imports torch.
"""

import shutil

import numpy as np
import pytest
from django.core import checks

from inference import preprocessing, vad
from inference.errors import InvalidMedia, ModelUnavailable
from inference.tests.media import RATE, SPEECH_FIXTURES, not_speech, speech, speech_fixture

# silero_vad.get_speech_timestamps(read 16-bit fixture, model) -> (start, end) in samples.
SILERO_SEGMENTS = {
    "good-morning": [(32, 56800)],
    "meeting-ran-long": [(544, 21472), (23584, 60896)],
    "a-little-tired": [(0, 74208)],
    "busy-yesterday": [(32, 23520), (28704, 88544)],
}
# Speech probability of windows of good-morning.wav from silero's OnnxWrapper. Window 43 is
# 0.355 without the 64-sample context that v5+ models expect, so it catches a missing context.
SILERO_PROBABILITIES = {0: 0.0055, 5: 0.9999, 25: 0.128, 43: 0.5416, 50: 0.9989, 119: 0.0149}


@pytest.fixture
def fresh_detector():
    vad.reset()
    yield
    vad.reset()


@pytest.mark.parametrize("name", SPEECH_FIXTURES)
def test_it_finds_the_same_speech_as_silero_vad(name):
    segments = vad.speech_segments(speech_fixture(name))

    assert [(s.start, s.end) for s in segments] == SILERO_SEGMENTS[name]


def test_it_gives_silero_vads_probabilities_window_by_window():
    probs = vad.speech_probabilities(speech_fixture("good-morning"))

    assert probs.shape == (120,)  # 61,204 samples in 512-sample windows, the last one padded
    for index, expected in SILERO_PROBABILITIES.items():
        assert probs[index] == pytest.approx(expected, abs=1e-4), index
    assert float(probs.sum()) == pytest.approx(96.004, abs=1e-2)


def test_it_turns_probabilities_into_segments_as_silero_does():
    # 32 ms windows: a dip of 2 windows and a lull between the thresholds do not split speech;
    # 10 windows of silence do; 5 windows (160 ms) of speech are too short to count; speech
    # still going at the end of the clip runs to its last sample.
    probs = (
        [0.1] * 3
        + [0.9] * 20
        + [0.1] * 2
        + [0.9] * 10
        + [0.1] * 4
        + [0.9] * 12
        + [0.4] * 6
        + [0.9] * 5
        + [0.1] * 8
        + [0.9] * 5
        + [0.1] * 10
        + [0.9] * 15
    )
    length = len(probs) * vad.WINDOW - 100

    segments = vad.segments_from_probabilities(np.array(probs), length=length)

    # silero_vad.get_speech_timestamps_from_probs(probs, audio_length_samples=length)
    assert [(s.start, s.end) for s in segments] == [(1056, 32224), (43040, 51100)]


@pytest.mark.parametrize("name", sorted(not_speech()))
def test_it_finds_no_speech_in_noise_tones_hum_or_music(name):
    assert vad.speech_segments(not_speech()[name]) == []


@pytest.mark.parametrize("name", sorted(set(not_speech()) - {"silence"}))
def test_clips_without_speech_are_refused_with_a_readable_reason(name):
    with pytest.raises(InvalidMedia) as err:
        preprocessing.prepare_waveform(not_speech()[name])

    assert err.value.status_code == 400
    assert err.value.message == (
        "We could not hear enough speech in the clip (0.0 s detected, at least 1 s needed). "
        "Record again somewhere quiet and speak for a few seconds."
    )


@pytest.mark.parametrize("name", SPEECH_FIXTURES)
def test_real_speech_is_kept_even_quiet_or_over_background_noise(name):
    voice = speech_fixture(name)
    noise = np.random.default_rng(3).standard_normal(voice.size).astype(np.float32)
    noisy = voice + noise * np.sqrt(np.mean(voice**2)) / 10  # 20 dB signal-to-noise

    for clip in (voice, 0.05 * voice, noisy):
        kept = preprocessing.keep_speech(clip, sample_rate=RATE)
        assert kept.size > 0.8 * voice.size


def test_speech_among_noise_is_found_and_the_noise_dropped():
    noise = not_speech(3.0)["pink noise"]
    clip = np.concatenate([noise, speech(3.0, pad=0.0), noise])

    segments = vad.speech_segments(clip)

    assert segments
    assert 2.7 * RATE < sum(s.length for s in segments) < 3.3 * RATE
    # Speech from 3.0 s to 6.0 s; the end lags while the probability falls off.
    assert segments[0].start > 2.8 * RATE and segments[-1].end < 6.5 * RATE


def test_it_builds_one_session_and_reuses_it(fresh_detector, settings):
    settings.ORT_INTRA_OP_THREADS = 1
    vad.speech_segments(speech(1.0))
    first = vad._session()

    vad.speech_segments(speech(1.0))

    assert vad._session() is first
    assert first.get_session_options().intra_op_num_threads == 1
    assert vad.status()["loaded"] is True


def test_a_missing_model_file_refuses_clips_with_a_readable_reason(
    fresh_detector, settings, tmp_path
):
    settings.VAD_MODEL_PATH = tmp_path / "nowhere" / "silero_vad.onnx"

    with pytest.raises(ModelUnavailable) as err:
        preprocessing.prepare_waveform(speech(2.0))

    assert err.value.status_code == 503
    assert "Speech detection is unavailable" in err.value.message
    assert "silero_vad.onnx is missing" in err.value.message
    assert vad.status() == {
        "ok": False,
        "version": "silero-vad 6.2.3",
        "sha256_ok": None,
        "loaded": False,
        "error": f"file missing: {settings.VAD_MODEL_PATH}",
    }


def test_an_altered_model_file_is_refused(fresh_detector, settings, tmp_path):
    altered = tmp_path / "silero_vad.onnx"
    shutil.copy(vad.model_path(), altered)
    with altered.open("ab") as handle:
        handle.write(b"\0")
    settings.VAD_MODEL_PATH = altered

    with pytest.raises(ModelUnavailable, match=r"does not match the sha256 of silero-vad 6\.2\.3"):
        vad.speech_segments(speech(2.0))
    assert vad.status()["sha256_ok"] is False


def test_the_session_follows_the_configured_path(fresh_detector, settings, tmp_path):
    vad.speech_segments(speech(1.0))
    first = vad._session()
    copy = tmp_path / "silero_vad.onnx"
    shutil.copy(vad.model_path(), copy)

    settings.VAD_MODEL_PATH = copy

    assert vad._session() is not first
    assert vad.status() == {
        "ok": True,
        "version": "silero-vad 6.2.3",
        "sha256_ok": True,
        "loaded": True,
        "error": None,
    }


@pytest.mark.django_db
def test_the_bundled_model_passes_the_system_check(fresh_detector):
    messages = checks.run_checks(tags=[checks.Tags.models])

    assert [m for m in messages if m.id == "inference.W002"] == []


@pytest.mark.django_db
def test_the_system_check_warns_when_the_model_is_missing(fresh_detector, settings, tmp_path):
    settings.VAD_MODEL_PATH = tmp_path / "silero_vad.onnx"

    messages = [m for m in checks.run_checks(tags=[checks.Tags.models]) if m.id == "inference.W002"]

    assert len(messages) == 1
    assert messages[0].level == checks.WARNING
    assert "file missing" in messages[0].msg
    assert "models/vad/README.md" in messages[0].hint
