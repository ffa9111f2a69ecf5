"""The starter burnout model's inputs, in column order, and how each is computed.

Written into the model's sidecar by training and read back by ``inference.tabular`` at scoring
time (a retrained model may list others). Plain data that imports nothing of Django, so
training code and scripts that run without it can read it too.
"""

from typing import Any

BURNOUT_FEATURES: tuple[str, ...] = (
    "tenure_days",
    "designation",
    "company_type_service",
    "wfh_available",
    "resource_allocation",
    "mental_fatigue",
)
BURNOUT_FEATURE_ENCODING: dict[str, dict[str, Any]] = {
    "tenure_days": {"type": "number", "source": "tenure_days", "min": 0},
    "designation": {"type": "number", "source": "designation", "min": 0, "max": 5},
    "company_type_service": {"type": "equals", "source": "company_type", "value": "service"},
    "wfh_available": {"type": "bool", "source": "wfh_available"},
    "resource_allocation": {"type": "number", "source": "resource_allocation", "min": 1, "max": 10},
    "mental_fatigue": {"type": "number", "source": "mental_fatigue", "min": 0, "max": 10},
}
