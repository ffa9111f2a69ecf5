"""Personal baselines: each score against the person's own recent days (pure functions).

People differ more from one another than from themselves: a FlowScore of 55 is usual for one
person and a bad day for another. Once someone has ``MIN_BASELINE_DAYS`` scored days, a day is
compared with the median of their previous ``BASELINE_DAYS`` days, in units of a robust spread
(1.4826 x the median absolute deviation, never below the indicator's ``baseline_floor`` so a
very steady person is not alarmed by a two-point dip). Before that there is no baseline: the
first days build it.
"""

from __future__ import annotations

import datetime as dt
import statistics
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from resonance import indicators

BASELINE_DAYS = 28
MIN_BASELINE_DAYS = 5
# |z| from which a day counts as well away from the usual.
UNUSUAL_Z = 2.0


def metrics() -> tuple[str, ...]:
    """The active scores that have a personal baseline (``resonance.indicators``)."""
    return indicators.keys(indicators.with_baseline())


def spread_floor(metric: str) -> float:
    """Smallest spread a baseline may have (FlowScore points; components 0-1)."""
    floor = indicators.get(metric).baseline_floor
    if floor is None:
        raise ValueError(f"{metric} has no personal baseline")
    return floor


def higher_is_better(metric: str) -> bool:
    return indicators.get(metric).higher_is_better


@dataclass(frozen=True)
class Comparison:
    metric: str
    value: float
    usual: float  # median of the baseline days
    spread: float
    days: int  # baseline days used
    z: float  # (value - usual) / spread

    @property
    def worse(self) -> bool:
        """Well on the bad side of the usual (low FlowScore, high risk)."""
        bad = -self.z if higher_is_better(self.metric) else self.z
        return bad >= UNUSUAL_Z

    @property
    def better(self) -> bool:
        good = self.z if higher_is_better(self.metric) else -self.z
        return good >= UNUSUAL_Z

    @property
    def words(self) -> str:
        if self.worse:
            return (
                "well below your usual"
                if higher_is_better(self.metric)
                else ("well above your usual")
            )
        if self.better:
            return "better than your usual"
        return "about your usual"


def baseline(values: Iterable[float | None], *, metric: str) -> tuple[float, float, int] | None:
    """(median, robust spread, n) of ``values``, or None with fewer than MIN_BASELINE_DAYS."""
    scored = [float(v) for v in values if v is not None]
    if len(scored) < MIN_BASELINE_DAYS:
        return None
    median = statistics.median(scored)
    mad = statistics.median(abs(v - median) for v in scored)
    return median, max(1.4826 * mad, spread_floor(metric)), len(scored)


def baseline_rows(window: np.ndarray, *, metric: str) -> tuple[np.ndarray, ...]:
    """``baseline`` of every row of a (people x days) array at once, NaN for a day without a
    value: (median, robust spread, n), with NaN median and spread where n < MIN_BASELINE_DAYS.
    The same numbers as ``baseline`` row by row, for the alert pass over everyone."""
    count = np.sum(~np.isnan(window), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no baseline
        median = np.nanmedian(window, axis=1)
        mad = np.nanmedian(np.abs(window - median[:, np.newaxis]), axis=1)
    spread = np.maximum(1.4826 * mad, spread_floor(metric))
    enough = count >= MIN_BASELINE_DAYS
    return np.where(enough, median, np.nan), np.where(enough, spread, np.nan), count


def compare(
    history: Mapping[dt.date, Mapping[str, float | None]], *, day: dt.date, metric: str
) -> Comparison | None:
    """``day``'s ``metric`` against the BASELINE_DAYS before it (None: no value or no baseline)."""
    value = history.get(day, {}).get(metric)
    if value is None:
        return None
    start = day - dt.timedelta(days=BASELINE_DAYS)
    window = [row.get(metric) for d, row in history.items() if start <= d < day]
    stats = baseline(window, metric=metric)
    if stats is None:
        return None
    usual, spread, days = stats
    return Comparison(
        metric=metric,
        value=float(value),
        usual=usual,
        spread=spread,
        days=days,
        z=(float(value) - usual) / spread,
    )


def days_until_baseline(history: Mapping[dt.date, Mapping[str, float | None]]) -> int:
    """How many more scored days the person needs before their days are compared."""
    scored = sum(1 for row in history.values() if row.get("flow_score") is not None)
    return max(0, MIN_BASELINE_DAYS + 1 - scored)
