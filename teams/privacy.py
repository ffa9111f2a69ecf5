"""Differentially private releases and bands for published team aggregates (pure, OpenDP).

The privacy unit is one person's contribution to one release: publication reduces each
person to one value per period (their mean over the period's days), so neighbouring data sets
differ by one person's value being there or not. Each released number (a count or a sum) is an
OpenDP measurement calibrated so that it costs at most ``epsilon`` for that unit; what it costs
each person is recorded by ``teams.publication`` in the ledger. A mean is a noisy sum of values
clipped to the metric's range divided by a noisy count. Values are centred on the middle of
their range and summed as integers in steps of a thousandth of the range, so the sum's
sensitivity is half the range (a float sum of unknown length would need the whole range:
twice the noise for the same epsilon), and the count's noise only scales the distance from
the middle.

Noise is drawn by OpenDP's own secure sampler and cannot be seeded: the caller stores what
it releases and never draws again for the same cell.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from resonance import indicators

if TYPE_CHECKING:
    import opendp.prelude as dp


@functools.cache
def _opendp() -> ModuleType:
    """OpenDP, imported on first use: where scikit-learn and pandas are installed, importing it
    loads them too (seconds), which a web or worker process needs only when it publishes."""
    import opendp.prelude

    # Clamping and sums are in OpenDP's "contrib" set (vetted, not yet proven).
    opendp.prelude.enable_features("contrib")
    return opendp.prelude


# (lowest share in the band, label, the value the heatmap colours the band with)
PARTICIPATION_BANDS: tuple[tuple[float, str, float], ...] = (
    (0.75, "75% or more", 0.875),
    (0.5, "50-74%", 0.625),
    (0.25, "25-49%", 0.375),
    (0.0, "under 25%", 0.125),
)
AT_RISK_BANDS: tuple[tuple[float, str], ...] = (
    (0.75, "75% or more"),
    (0.5, "50-74%"),
    (0.3, "30-49%"),
    (0.0, "under 30%"),
)
_CONTRIBUTOR_EDGES = (10, 20, 50, 100, 200, 500, 1000)


def _float_vectors() -> dp.Domain:
    dp = _opendp()
    return dp.vector_domain(dp.atom_domain(T=float, nan=False))


@functools.lru_cache(maxsize=64)
def count_measurement(epsilon: float) -> dp.Measurement:
    """Count of records with discrete Laplace noise, ``epsilon``-DP for one record."""
    dp = _opendp()
    count = dp.t.make_count(_float_vectors(), dp.symmetric_distance())
    scale = dp.binary_search_param(
        lambda s: count >> dp.m.then_laplace(scale=s), d_in=1, d_out=epsilon
    )
    return count >> dp.m.then_laplace(scale=scale)


# A value is summed as an integer number of these steps from the middle of its range.
STEPS_PER_HALF_RANGE = 500


@functools.lru_cache(maxsize=64)
def centred_sum_measurement(epsilon: float) -> dp.Measurement:
    """Sum of integers clamped to ``[-STEPS_PER_HALF_RANGE, STEPS_PER_HALF_RANGE]`` plus
    discrete Laplace noise (sensitivity ``STEPS_PER_HALF_RANGE``)."""
    dp = _opendp()
    space = (dp.vector_domain(dp.atom_domain(T=int)), dp.symmetric_distance())
    bound = STEPS_PER_HALF_RANGE
    clamped_sum = space >> dp.t.then_clamp((-bound, bound)) >> dp.t.then_sum()
    scale = dp.binary_search_param(
        lambda s: clamped_sum >> dp.m.then_laplace(scale=s), d_in=1, d_out=epsilon
    )
    return clamped_sum >> dp.m.then_laplace(scale=scale)


def release_count(records: int, *, epsilon: float) -> int:
    """A noisy count of ``records`` (may be below zero: callers floor it where they use it)."""
    return int(count_measurement(epsilon)([0.0] * records))


# Where a metric's values are centred before summing, when not the middle of its range. The
# count's noise scales the distance between the true mean and the centre, so a centre near
# where team means usually sit shrinks that error: most teams' FlowScore lies between 50 and
# 75. The sum's sensitivity stays half the range; FlowScores below 5 are counted as 5.
CENTRES = {"flow_score": 55.0}


def release_mean(
    values: Sequence[float], *, metric: str, epsilon: float, noisy_count: int, floor: int
) -> float:
    """Noisy mean of ``values`` clipped to the metric's range, using a released count.

    ``epsilon`` pays for the sum only; ``noisy_count`` is a count released on its own (its
    noise is already paid for). The denominator never drops below ``floor`` (the smallest
    group that is published at all), and the result is clipped to the metric's range.
    """
    # Clipped to the range the indicator declares (resonance.indicators).
    indicator = indicators.get(metric)
    low, high = indicator.low, indicator.high
    half_width = (high - low) / 2
    centre = CENTRES.get(metric, low + half_width)
    step = half_width / STEPS_PER_HALF_RANGE
    steps = [round((min(high, max(low, v)) - centre) / step) for v in values]
    noisy_sum = centred_sum_measurement(epsilon)(steps) * step  # clamped to +-half_width
    mean = centre + noisy_sum / max(noisy_count, floor)
    return min(high, max(low, mean))


# --- Bands: the only form in which a count or a share leaves this app -----------------------


@functools.lru_cache(maxsize=4096)
def contributor_band(contributors: int, *, k: int) -> str:
    """A coarse band ("5-9 people") so no response shows an exact count."""
    if contributors < k:
        return f"fewer than {k}"
    edges = [k] + [e for e in _CONTRIBUTOR_EDGES if e > k]
    for low, high in itertools.pairwise(edges):
        if low <= contributors < high:
            return f"{low}-{high - 1} people"
    return f"{edges[-1]}+ people"


def participation_band(share: float) -> str:
    return next(label for floor, label, _ in PARTICIPATION_BANDS if share >= floor)


def participation_band_value(label: str) -> float | None:
    """The value a participation band is drawn with (its middle); None for an unknown label."""
    return next((value for _, band, value in PARTICIPATION_BANDS if band == label), None)


def at_risk_band(share: float) -> str:
    """ "100%" would tell a manager that every member has an alert; a band does not."""
    return next(label for floor, label in AT_RISK_BANDS if share >= floor)
