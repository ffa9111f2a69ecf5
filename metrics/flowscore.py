"""FlowScore and the coach message that goes with it (pure functions, no database)."""

from collections.abc import Iterable, Mapping

# (upper bound of the band, message). Bands follow the older system's thresholds.
COACH_BANDS: tuple[tuple[float, str], ...] = (
    (
        30.0,
        "Your energy looks very low today. Take a real break now, and block an hour of your "
        "calendar this afternoon with no meetings so you can recover.",
    ),
    (
        50.0,
        "You seem stretched. Try two minutes of slow breathing or a short walk outside before "
        "your next task.",
    ),
    (
        70.0,
        "A decent day. Plan one or two focused work blocks and keep notifications off while you "
        "are in them.",
    ),
    (
        float("inf"),
        "You are in great flow. Keep the rhythm that works for you, and remember to stop on time.",
    ),
)


def flow_score(
    components: Mapping[str, float | None], weights: Mapping[str, float]
) -> float | None:
    """``round(100 x (1 - risk), 1)`` where risk is the weighted mean of the components present.

    Components are scores in [0, 1] (higher = worse). Missing (None) components and components
    without a positive weight are left out and the remaining weights renormalised. Returns None
    when nothing is left to score.
    """
    total_weight = 0.0
    weighted = 0.0
    for name, value in components.items():
        weight = float(weights.get(name, 0.0))
        if value is None or weight <= 0:
            continue
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be within [0, 1], got {value!r}")
        total_weight += weight
        weighted += weight * value
    if total_weight == 0:
        return None
    risk = weighted / total_weight
    return round(100.0 * (1.0 - risk), 1)


def coach_message(score: float | None) -> str:
    """A short, human message for a FlowScore (empty when there is no score)."""
    if score is None:
        return ""
    for upper, message in COACH_BANDS:
        if score < upper:
            return message
    return COACH_BANDS[-1][1]


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return sum(present) / len(present)
