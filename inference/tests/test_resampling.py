"""The resampler shared with the browser: scipy's resample_poly, computed without scipy."""

import numpy as np
import pytest

from inference import resampling


def _noise(seconds: float, rate: int) -> np.ndarray:
    return np.random.default_rng(3).standard_normal(int(seconds * rate) + 7).astype(np.float32)


@pytest.mark.parametrize(
    ("from_rate", "to_rate"), [(48000, 16000), (44100, 16000), (22050, 16000), (8000, 16000)]
)
def test_it_is_scipys_resample_poly_with_its_default_filter(from_rate, to_rate):
    signal = pytest.importorskip("scipy.signal")
    samples = _noise(1.5, from_rate)
    up, down = resampling.ratio(from_rate, to_rate)

    expected = signal.resample_poly(samples.astype(np.float64), up, down)

    got = resampling.resample(samples, from_rate, to_rate)
    assert got.dtype == np.float32 and got.shape == expected.shape
    # float64 arithmetic, rounded once to float32.
    np.testing.assert_allclose(got, expected, rtol=0, atol=3e-7)
    taps = signal.firwin(2 * 10 * max(up, down) + 1, 1 / max(up, down), window=("kaiser", 5.0))
    np.testing.assert_allclose(resampling.lowpass(up, down), taps * up, rtol=0, atol=1e-14)


def test_it_keeps_speech_frequencies_and_removes_what_would_alias():
    t = np.arange(48000 * 2) / 48000
    voice_band = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    above_nyquist = np.sin(2 * np.pi * 12000 * t).astype(np.float32)

    kept = resampling.resample(voice_band, 48000, 16000)[1000:-1000]
    folded = resampling.resample(above_nyquist, 48000, 16000)[1000:-1000]

    assert np.sqrt(2 * np.mean(kept.astype(np.float64) ** 2)) == pytest.approx(1.0, abs=1e-3)
    assert float(np.max(np.abs(folded))) < 1e-3


def test_output_is_centred_on_the_input_with_ceil_length():
    impulse = np.zeros(4801, dtype=np.float32)
    impulse[2400] = 1.0

    out = resampling.resample(impulse, 48000, 16000)

    assert out.size == 1601  # ceil(4801 / 3)
    assert int(np.argmax(out)) == 800  # input sample 2400 is output sample 800: no delay


def test_the_same_rate_is_a_copy():
    samples = _noise(0.1, 16000)

    out = resampling.resample(samples, 16000, 16000)

    np.testing.assert_array_equal(out, samples)
    assert out is not samples


def test_rates_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        resampling.resample(np.zeros(10, dtype=np.float32), 0, 16000)
