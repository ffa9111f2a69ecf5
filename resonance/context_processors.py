"""What every page may need to know of the lawful profile (``resonance.indicators``)."""

from typing import Any

from django.http import HttpRequest

from resonance import indicators


def signal_profile(request: HttpRequest) -> dict[str, Any]:
    """``signal_profile`` (its name), ``active_indicators`` (keys of what this deployment
    computes), ``score_indicators`` (the active scores, FlowScore first, for tables and
    charts) and ``needs_image``/``needs_audio`` (which uploads a check-in takes)."""
    return {
        "signal_profile": indicators.profile(),
        "active_indicators": set(indicators.keys(indicators.active())),
        "score_indicators": indicators.scores(),
        "needs_image": indicators.needs_media("image"),
        "needs_audio": indicators.needs_media("audio"),
    }
