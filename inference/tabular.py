"""Burnout features: profile values -> the model's numeric vector. Pure functions.

The sidecar lists the model's inputs in ``features`` (column order of f0..fN) and says how each
is computed in ``feature_encoding``; a feature with no entry is read as a number from the input
key of the same name. Entry types:

- ``{"type": "number", "source": KEY, "min": a, "max": b}``: ``float(value)``, clamped if given;
- ``{"type": "bool", "source": KEY}``: 1.0/0.0 (accepts true/false, yes/no, 1/0);
- ``{"type": "equals", "source": KEY, "value": "service"}``: 1.0 when the lower-cased text
  equals ``value``, else 0.0;
- ``{"type": "map", "source": KEY, "map": {"service": 1, "product": 0}}``: looked-up number.

A missing input (None, "" or unknown text) becomes NaN, which the tree model treats as missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from inference.errors import InvalidMedia

INPUT_KEYS = (
    "tenure_days",
    "designation",
    "company_type",
    "wfh_available",
    "resource_allocation",
    "mental_fatigue",
)
# Columns of the HackerEarth "Are Your Employees Burning Out?" CSV.
HACKEREARTH_COLUMNS = {
    "date_of_joining": "Date of Joining",
    "company_type": "Company Type",
    "wfh_available": "WFH Setup Available",
    "designation": "Designation",
    "resource_allocation": "Resource Allocation",
    "mental_fatigue": "Mental Fatigue Score",
}
# Every joining date in that data set falls in 2008; tenure is counted up to this day unless
# the model's sidecar names another (feature_encoding.tenure_days.reference_date).
HACKEREARTH_REFERENCE_DATE = date(2009, 1, 1)

_TRUE = {"true", "yes", "y", "1", "1.0"}
_FALSE = {"false", "no", "n", "0", "0.0"}


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: Any, spec: Mapping[str, Any]) -> float:
    if isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidMedia(f"{value!r} is not a number.") from None
    if not math.isfinite(number):
        return math.nan
    if "min" in spec:
        number = max(number, float(spec["min"]))
    if "max" in spec:
        number = min(number, float(spec["max"]))
    return number


def _bool(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return 1.0 if value else 0.0
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    return math.nan


def encode_value(name: str, features: Mapping[str, Any], spec: Mapping[str, Any]) -> float:
    """One feature's number from the input mapping, following its encoding ``spec``."""
    value = features.get(spec.get("source", name))
    if _is_missing(value):
        return math.nan
    kind = spec.get("type", "number")
    if kind == "number":
        return _number(value, spec)
    if kind == "bool":
        return _bool(value)
    if kind == "equals":
        return 1.0 if str(value).strip().lower() == str(spec["value"]).lower() else 0.0
    if kind == "map":
        table = {str(k).lower(): float(v) for k, v in spec["map"].items()}
        return table.get(str(value).strip().lower(), math.nan)
    raise ValueError(f"Unknown feature encoding type {kind!r} for {name!r}.")


def encode_features(
    features: Mapping[str, Any],
    *,
    feature_names: Sequence[str],
    encoding: Mapping[str, Mapping[str, Any]],
) -> np.ndarray:
    """The (1, N) float32 row the burnout model expects, NaN where a value is missing."""
    unknown = set(features) - set(INPUT_KEYS)
    if unknown:
        raise InvalidMedia(f"Unknown burnout feature(s): {', '.join(sorted(unknown))}.")
    row = [encode_value(name, features, encoding.get(name, {})) for name in feature_names]
    return np.asarray([row], dtype=np.float32)


def features_from_hackerearth_row(
    row: Mapping[str, str], *, reference_date: date = HACKEREARTH_REFERENCE_DATE
) -> dict[str, Any]:
    """Map one CSV row of the HackerEarth data set to ``score_burnout`` input keys."""

    def cell(key: str) -> str | None:
        value = row.get(HACKEREARTH_COLUMNS[key])
        return value.strip() if value is not None and value.strip() else None

    joined = cell("date_of_joining")
    tenure = None
    if joined is not None:
        try:
            tenure = (reference_date - date.fromisoformat(joined)).days
        except ValueError:
            raise InvalidMedia(f"Date of Joining {joined!r} is not an ISO date.") from None
    return {
        "tenure_days": tenure,
        "designation": cell("designation"),
        "company_type": cell("company_type"),
        "wfh_available": cell("wfh_available"),
        "resource_allocation": cell("resource_allocation"),
        "mental_fatigue": cell("mental_fatigue"),
    }
