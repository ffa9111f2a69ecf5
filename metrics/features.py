"""How a check-in and the employee's profile become burnout-model features (pure)."""

import datetime as dt
from collections.abc import Mapping

from .flowscore import mean_or_none

# The burnout model was trained on "resource allocation" in hours per day between 1 and 10.
RESOURCE_ALLOCATION_RANGE = (1.0, 10.0)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def burnout_features(
    *,
    on_date: dt.date,
    company_joined_on: dt.date | None,
    designation: int | None,
    company_type: str | None,
    wfh_available: bool | None,
    hours_worked: float | None,
    mental_fatigue: float | None,
    model_scores: Mapping[str, float | None],
) -> Mapping[str, float | int | str | bool | None]:
    """Features for ``inference.services.score_burnout``; unknown values are None.

    Resource allocation is the self-reported hours worked clamped to the model's 1-10 range.
    Mental fatigue (0-10) is the self-report when given, else ``10 x`` the mean of today's
    scores of the models that read an upload (``model_scores``: fatigue, and voice stress where
    the profile computes it), whichever exist.
    """
    tenure_days = None
    if company_joined_on is not None:
        tenure_days = max(0, (on_date - company_joined_on).days)
    resource_allocation = None
    if hours_worked is not None:
        resource_allocation = clamp(float(hours_worked), *RESOURCE_ALLOCATION_RANGE)
    if mental_fatigue is None:
        model_mean = mean_or_none(model_scores.values())
        mental_fatigue = None if model_mean is None else round(10.0 * model_mean, 3)
    return {
        "tenure_days": tenure_days,
        "designation": designation,
        "company_type": company_type or None,
        "wfh_available": wfh_available,
        "resource_allocation": resource_allocation,
        "mental_fatigue": None if mental_fatigue is None else clamp(float(mental_fatigue), 0, 10),
    }
