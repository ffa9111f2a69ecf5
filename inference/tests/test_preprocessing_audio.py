"""Audio preprocessing: accepted containers, rejected clips, and the waveform it yields."""

import io

import numpy as np
import pytest

from inference import preprocessing
from inference.errors import InvalidMedia
from inference.tests.media import RATE, audio_bytes, ffmpeg_encode, speech_like


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
    # 2 s of sound inside 0.5 s of silence either side: the silence is trimmed.
    assert 1.8 * RATE < waveform.shape[1] < 2.4 * RATE


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

    assert 1.8 * RATE < from_path.shape[1] < 2.4 * RATE
    np.testing.assert_allclose(from_path, from_file)


def test_it_resamples_to_the_model_rate_and_mixes_to_mono():
    stereo = np.stack([speech_like(rate=44100), speech_like(rate=44100)], axis=1)
    data = audio_bytes("WAV", samples=stereo, rate=44100)

    waveform = preprocessing.preprocess_audio(data, sample_rate=16000)

    assert waveform.ndim == 2 and waveform.shape[0] == 1
    assert 1.8 * 16000 < waveform.shape[1] < 2.4 * 16000


def test_it_normalises_to_zero_mean_and_unit_variance():
    waveform = preprocessing.preprocess_audio(audio_bytes("FLAC"))

    assert abs(float(waveform.mean())) < 1e-4
    assert abs(float(waveform.std()) - 1.0) < 1e-3


def test_it_crops_long_clips_to_their_central_max_seconds():
    long_clip = speech_like(seconds=12.0, pad=0.0)

    waveform = preprocessing.prepare_waveform(long_clip, sample_rate=RATE, max_seconds=8)

    assert waveform.shape == (1, 8 * RATE)


def test_trim_silence_keeps_the_loud_part_only():
    samples = speech_like(seconds=1.5, pad=1.0)

    trimmed = preprocessing.trim_silence(samples, top_db=30)

    assert 1.4 * RATE < trimmed.size < 1.7 * RATE


def test_it_rejects_silence():
    silence = audio_bytes("WAV", samples=np.zeros(3 * RATE, dtype=np.float32))

    with pytest.raises(InvalidMedia, match="silent") as err:
        preprocessing.preprocess_audio(silence)
    assert err.value.status_code == 400


def test_it_rejects_a_clip_of_a_fifth_of_a_second():
    short = audio_bytes("WAV", samples=speech_like(seconds=0.2, pad=0.0))

    with pytest.raises(InvalidMedia, match=r"0\.2 s of speech; at least 1 s") as err:
        preprocessing.preprocess_audio(short)
    assert err.value.status_code == 400


def test_it_rejects_a_short_word_inside_long_silence():
    mostly_silent = audio_bytes("WAV", samples=speech_like(seconds=0.4, pad=2.0))

    with pytest.raises(InvalidMedia, match="of speech"):
        preprocessing.preprocess_audio(mostly_silent)


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
