"""Sample-rate conversion that the browser can reproduce exactly.

Browser recordings (WebM/Opus from MediaRecorder, MP4) are decoded at 48 kHz and brought to the
models' 16 kHz by this resampler, here and in private mode's ``static/js/private/voice.mjs``
(``resamplePoly``), which follows the same arithmetic step by step. Two different good
resamplers are not interchangeable here: they disagree near 8 kHz, where the prosody's spectral
flux and the mel front end still look, and that moved the stress score by up to 0.05.

The definition is ``scipy.signal.resample_poly(x, up, down)`` with its default filter (a
linear-phase low-pass FIR, Kaiser window with beta 5, ``10 * max(up, down)`` taps each side,
cut-off at the lower Nyquist frequency, unit gain at DC), computed in float64 without scipy:
each output sample sums its taps in order of the input samples, so a port that sums in the
same order gives the same numbers.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

KAISER_BETA = 5.0
HALF_TAPS_PER_RATE = 10  # taps each side of the centre, per unit of max(up, down)
# Terms of the I0 power series: for an argument up to KAISER_BETA the later terms are far below
# one float64 ulp of the sum, so a fixed count is the converged value.
BESSEL_TERMS = 40


def bessel_i0(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function I0 by its power series (sum of ((x/2)^k / k!)^2)."""
    half = np.asarray(x, dtype=np.float64) / 2
    quarter_square = half * half
    term = np.ones_like(half)
    total = np.ones_like(half)
    for k in range(1, BESSEL_TERMS):
        term = term * quarter_square / (k * k)
        total = total + term
    return total


def ratio(from_rate: int, to_rate: int) -> tuple[int, int]:
    """(up, down): the conversion as a reduced fraction."""
    common = math.gcd(from_rate, to_rate)
    return to_rate // common, from_rate // common


@lru_cache(maxsize=8)
def lowpass(up: int, down: int) -> np.ndarray:
    """The filter taps (2 * half + 1, float64), scaled by ``up``; read-only."""
    widest = max(up, down)
    half = HALF_TAPS_PER_RATE * widest
    cutoff = 1.0 / widest
    offsets = np.arange(2 * half + 1, dtype=np.float64) - half
    # numpy.sinc's arithmetic: sin(pi x) / (pi x), 1 at 0.
    angle = np.pi * (cutoff * offsets)
    safe = np.where(angle == 0, 1.0, angle)
    sinc = np.where(angle == 0, 1.0, np.sin(safe) / safe)
    # Kaiser window: I0(beta * sqrt(1 - (n / half)^2)) / I0(beta).
    position = offsets / half
    window = bessel_i0(KAISER_BETA * np.sqrt(1.0 - position * position)) / bessel_i0(
        np.array(KAISER_BETA)
    )
    taps = cutoff * sinc * window
    # Normalised to unit DC gain; summed in order (cumsum) so a plain loop gives the same sum.
    taps = taps / np.cumsum(taps)[-1] * up
    taps.flags.writeable = False
    return taps


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``samples`` (1-D) from ``from_rate`` to ``to_rate`` Hz, as float32.

    Output sample n is sum_j x[j] * h[half + n * down - j * up] over the input samples j whose
    tap index is in range (zeros outside the clip): the output is centred on the input (no
    delay) and has ceil(len * up / down) samples.
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("Sample rates must be positive.")
    up, down = ratio(from_rate, to_rate)
    if up == down:
        return x.astype(np.float32)
    taps = lowpass(up, down)
    half = (taps.size - 1) // 2
    count = -(-x.size * up // down)
    steps = 2 * half // up + 1
    # Zeros on both sides, so every input index read is in the array.
    pad = steps + 1
    padded = np.concatenate([np.zeros(pad), x, np.zeros(pad + steps)])
    out = np.empty(count, dtype=np.float64)
    # Outputs r, r + up, r + 2 up, ... share their taps; each step of ``up`` outputs moves the
    # first input sample by ``down``. Taps are summed in order of the input samples.
    for r in range(min(up, count)):
        centre = r * down
        first = -((half - centre) // up)  # first input sample with a tap in range
        tap = half + centre - first * up  # its tap index
        outputs = len(range(r, count, up))
        acc = np.zeros(outputs, dtype=np.float64)
        for k in range(steps):
            index = tap - k * up
            if index < 0:
                break
            start = pad + first + k
            acc += padded[start : start + (outputs - 1) * down + 1 : down] * taps[index]
        out[r::up] = acc
    return out.astype(np.float32)
