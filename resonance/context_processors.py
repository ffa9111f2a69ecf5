"""What every page may need to know of the lawful profile (``resonance.indicators``)."""

from typing import Any

from django.http import HttpRequest

from resonance import indicators


def signal_profile(request: HttpRequest) -> dict[str, Any]:
    """``signal_profile`` (its name), ``active_indicators`` (keys of what this deployment
    computes), ``score_indicators`` (the active scores, FlowScore first, for tables and
    charts), ``needs_image``/``needs_audio`` (which uploads a check-in takes) and
    ``indicator_rows`` (every declared indicator, whether it is computed, and why its category:
    the admin's index lists them)."""
    active_keys = set(indicators.keys(indicators.active()))
    return {
        "indicator_rows": [
            {
                "key": item.key,
                "label": item.label,
                "category": item.category.value,
                "active": item.key in active_keys,
                "why": item.why,
            }
            for item in indicators.INDICATORS
        ],
        "signal_profile": indicators.profile(),
        "active_indicators": active_keys,
        "score_indicators": indicators.scores(),
        "needs_image": indicators.needs_media("image"),
        "needs_audio": indicators.needs_media("audio"),
    }
