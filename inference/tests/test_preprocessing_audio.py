"""Audio preprocessing: accepted containers, rejected clips, and the waveform it yields."""

import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from inference import preprocessing, resampling
from inference.errors import InvalidMedia
from inference.tests.media import RATE, audio_bytes, ffmpeg_encode, speech, speech_fixture


@pytest.mark.parametrize(
    ("fmt", "subtype"),
    [
        ("WAV", "PCM_16"),
        ("WAV", "FLOAT"),
        ("FLAC", "PCM_16"),
        ("OGG", "VORBIS"),
        ("OGG", "OPUS"),
        ("MP3", "MPEG_LAYER_III"),
    ],
)
def test_it_accepts_soundfile_formats(fmt, subtype):
    waveform = preprocessing.preprocess_audio(audio_bytes(fmt, subtype))

    assert waveform.dtype == np.float32
    assert waveform.shape[0] == 1
    # 2 s of speech inside 0.5 s of silence either side: only the speech is kept.
    assert 1.6 * RATE < waveform.shape[1] < 2.2 * RATE


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [
        (".webm", ["-c:a", "libopus", "-b:a", "32k"]),
        (".m4a", ["-c:a", "aac", "-b:a", "64k"]),
        (".mp4", ["-c:a", "aac", "-b:a", "64k", "-f", "mp4"]),
    ],
)
def test_it_accepts_browser_recordings_through_ffmpeg(tmp_path, suffix, codec):
    path = ffmpeg_encode(tmp_path, suffix, codec)

    from_path = preprocessing.preprocess_audio(path)
    with path.open("rb") as handle:  # an upload: no path, decoded via a temporary file
        from_file = preprocessing.preprocess_audio(handle)

    assert 1.6 * RATE < from_path.shape[1] < 2.2 * RATE
    np.testing.assert_allclose(from_path, from_file)


def _ffmpeg_pcm(path, *, channels: int) -> np.ndarray:
    """(frames, channels) float32 as ffmpeg decodes ``path`` at 48 kHz, without resampling."""
    out = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(path), "-f", "f32le", "-ar", "48000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype="<f4").reshape(-1, channels)


def test_a_webm_is_decoded_at_48_khz_and_resampled_as_in_the_browser(tmp_path):
    path = ffmpeg_encode(tmp_path, ".webm", ["-c:a", "libopus"], samples=speech_fixture())

    decoded = preprocessing.decode_audio(path)

    expected = resampling.resample(_ffmpeg_pcm(path, channels=1)[:, 0], 48000, RATE)
    np.testing.assert_array_equal(decoded, expected)


def test_a_stereo_webm_is_the_plain_average_of_its_channels(tmp_path):
    left = speech_fixture("good-morning")[: 3 * RATE]
    right = speech_fixture("meeting-ran-long")[: 3 * RATE]
    path = ffmpeg_encode(tmp_path, ".webm", ["-c:a", "libopus"], samples=np.stack([left, right], 1))

    decoded = preprocessing.decode_audio(path)

    # ffmpeg's own downmix (-ac 1) is not the average, and would not match the browser's.
    pcm = _ffmpeg_pcm(path, channels=2)
    average = (pcm[:, 0] + pcm[:, 1]) / np.float32(2)
    np.testing.assert_array_equal(decoded, resampling.resample(average, 48000, RATE))


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
@pytest.mark.parametrize("rate", [RATE, 44100])
@pytest.mark.parametrize("channels", [1, 2])
def test_wav_and_flac_are_decoded_as_before(fmt, rate, channels):
    """Only the browser formats changed resampler: a WAV or FLAC gives the very samples (and
    so the very scores) it gave before, libsndfile's decoding resampled by soxr."""
    voice = speech_fixture("busy-yesterday")
    if rate != RATE:
        voice = soxr.resample(voice, RATE, rate).astype(np.float32)
    samples = np.stack([voice] * channels, axis=1) * np.float32(0.9)
    data = audio_bytes(fmt, "PCM_16", samples=samples, rate=rate)

    decoded = preprocessing.decode_audio(data)

    pcm, _ = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    expected = pcm.mean(axis=1, dtype=np.float32)
    if rate != RATE:
        expected = soxr.resample(expected, rate, RATE).astype(np.float32)
    np.testing.assert_array_equal(decoded, expected)


def test_the_speech_fixtures_decode_to_their_own_samples():
    for path in sorted((Path(__file__).parent / "fixtures" / "speech").glob("*.wav")):
        pcm, rate = soundfile.read(path, dtype="float32")
        assert rate == RATE
        np.testing.assert_array_equal(preprocessing.decode_audio(path), pcm)


def test_it_resamples_to_the_model_rate_and_mixes_to_mono():
    stereo = np.stack([speech(2.0, rate=44100), speech(2.0, rate=44100)], axis=1)
    data = audio_bytes("WAV", samples=stereo, rate=44100)

    waveform = preprocessing.preprocess_audio(data, sample_rate=16000)

    assert waveform.ndim == 2 and waveform.shape[0] == 1
    assert 1.6 * 16000 < waveform.shape[1] < 2.2 * 16000


def test_it_normalises_to_zero_mean_and_unit_variance():
    waveform = preprocessing.preprocess_audio(audio_bytes("FLAC"))

    assert abs(float(waveform.mean())) < 1e-4
    assert abs(float(waveform.std()) - 1.0) < 1e-3


def test_it_crops_long_clips_to_their_central_max_seconds():
    long_clip = speech(pad=0.0)  # 18.7 s, 17 s of it speech

    waveform = preprocessing.prepare_waveform(long_clip, sample_rate=RATE, max_seconds=8)

    assert waveform.shape == (1, 8 * RATE)


def test_it_keeps_only_the_speech_and_drops_the_pauses():
    pause = np.zeros(RATE, dtype=np.float32)
    first, second = speech(1.5, pad=0.0), speech_fixture("meeting-ran-long")[: 2 * RATE]
    clip = np.concatenate([pause, first, pause, pause, second, pause])

    kept = preprocessing.keep_speech(clip, sample_rate=RATE)

    assert 3.0 * RATE < kept.size < 3.7 * RATE  # of 7.5 s in, 4 s of it silence
    # What is kept is the speech itself, unchanged and in order.
    windows = np.lib.stride_tricks.sliding_window_view(kept, 64)
    at = [
        int(np.flatnonzero((windows == part[RATE : RATE + 64]).all(axis=1))[0])
        for part in (first, second)
    ]
    assert at[0] < 1.5 * RATE < at[1]


def test_it_finds_the_same_speech_at_other_sample_rates():
    at_16k = preprocessing.keep_speech(speech(2.0), sample_rate=RATE)
    at_44k = preprocessing.keep_speech(speech(2.0, rate=44100), sample_rate=44100)

    assert abs(at_44k.size / 44100 - at_16k.size / RATE) < 0.1


def test_it_rejects_silence():
    silence = audio_bytes("WAV", samples=np.zeros(3 * RATE, dtype=np.float32))

    with pytest.raises(InvalidMedia, match="silent") as err:
        preprocessing.preprocess_audio(silence)
    assert err.value.status_code == 400


def test_it_rejects_a_clip_of_a_fifth_of_a_second():
    short = audio_bytes("WAV", samples=speech(0.2, pad=0.0))

    with pytest.raises(InvalidMedia, match=r"\(0\.0 s detected, at least 1 s needed\)") as err:
        preprocessing.preprocess_audio(short)
    assert err.value.status_code == 400


def test_it_rejects_a_short_word_inside_long_silence():
    mostly_silent = audio_bytes("WAV", samples=speech(0.6, pad=2.2))  # 0.6 s in 5 s

    with pytest.raises(InvalidMedia, match=r"not hear enough speech in the clip \(0\.[5-8] s det"):
        preprocessing.preprocess_audio(mostly_silent)


def test_it_accepts_two_seconds_of_speech_inside_long_silence():
    clip = audio_bytes("WAV", samples=speech(2.0, pad=1.5))  # 2 s in 5 s

    waveform = preprocessing.preprocess_audio(clip)

    assert 1.6 * RATE < waveform.shape[1] < 2.2 * RATE


def test_it_rejects_text_renamed_to_wav_with_415(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("Dear diary, today I recorded nothing at all.\n")

    with pytest.raises(InvalidMedia, match="WAV, FLAC, OGG") as err:
        preprocessing.preprocess_audio(path)
    assert err.value.status_code == 415


def test_it_rejects_a_truncated_wav_header():
    data = audio_bytes("WAV")[:30]

    with pytest.raises(InvalidMedia) as err:
        preprocessing.preprocess_audio(data)
    assert err.value.status_code == 400


def test_it_rejects_a_corrupt_webm(tmp_path):
    path = ffmpeg_encode(tmp_path, ".webm", ["-c:a", "libopus"])
    broken = tmp_path / "broken.webm"
    broken.write_bytes(path.read_bytes()[:60])

    with pytest.raises(InvalidMedia, match="WEBM audio is corrupt") as err:
        preprocessing.preprocess_audio(broken)
    assert err.value.status_code == 400


def test_it_rejects_an_empty_upload():
    with pytest.raises(InvalidMedia, match="empty"):
        preprocessing.preprocess_audio(io.BytesIO(b""))
