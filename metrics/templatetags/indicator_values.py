"""Indicator values in templates: ``{% load indicator_values %}``.

Tables and result cards loop over ``score_indicators`` (the active scores, from the
``resonance.context_processors.signal_profile`` context processor) and print each value with
these filters, so a score the lawful profile leaves out has no column, label or cell.
"""

from collections.abc import Mapping
from typing import Any

from django import template

from metrics import charts
from resonance import indicators
from resonance.indicators import Indicator

register = template.Library()


@register.filter
def indicator(key: str) -> Indicator | None:
    """The registry's entry for ``key`` (None for an unknown key)."""
    return indicators.BY_KEY.get(key)


@register.filter
def risk_label(item: Indicator) -> str:
    """What a score is called where it reads as a risk: "Fatigue risk", "FlowScore"."""
    return charts.risk_label(item)


@register.filter
def formatted(value: float | None, item: Indicator) -> str:
    """``value`` printed as ``item`` is: "42%", "64.5", or a dash for none."""
    return charts.format_value(value, item)


@register.filter
def score_of(record: Any, item: Indicator) -> str:
    """``record``'s value of ``item`` (a model's field or a dict's key), printed."""
    is_mapping = isinstance(record, Mapping)
    value = record.get(item.key) if is_mapping else getattr(record, item.key, None)
    return charts.format_value(value, item)
