"""Chart building and value display for the employee's own trends (pure: rows in, Plotly
figure JSON or text out).

What is drawn comes from ``resonance.indicators``: an indicator the lawful profile leaves out
(voice stress under ``eu``) has no trace, whatever the rows hold.
"""

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import plotly.graph_objects as go

from resonance import indicators
from resonance.indicators import Category, Indicator

FLOW_SCORE = "flow_score"
NO_VALUE = "\u2013"  # an en dash: no value


def percent_scale(indicator: Indicator) -> float:
    """Probabilities are drawn and printed as % risk; other units as they are."""
    return 100.0 if indicator.unit == "probability" else 1.0


def risk_label(indicator: Indicator) -> str:
    """What a score is called where it is read as a risk: "Fatigue risk", "FlowScore"."""
    if indicator.unit != "probability" or indicator.label.lower().endswith("risk"):
        return indicator.label
    return f"{indicator.label} risk"


def format_value(value: float | None, indicator: Indicator) -> str:
    """``value`` as tables and result cards print it (``Indicator.value_format``)."""
    if value is None:
        return NO_VALUE
    if indicator.value_format == "d":
        return str(round(value))
    return format(value, indicator.value_format)


def trends_figure(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """FlowScore (0-100) and the other active scores (as % risk) per day.

    ``rows`` are dicts with ``date`` and optional score keys (``flow_score``, ``fatigue``, ...;
    probabilities in [0, 1]). One trace per active score (``indicators.scores()``), FlowScore
    first and bold; a key the profile leaves out is ignored. Returns a JSON-ready figure dict.
    """
    rows = sorted(rows, key=lambda r: r["date"])
    dates = [r["date"].isoformat() if isinstance(r["date"], dt.date) else r["date"] for r in rows]

    def series(indicator: Indicator) -> list[float | None]:
        scale = percent_scale(indicator)
        key = indicator.key
        return [None if r.get(key) is None else round(r[key] * scale, 1) for r in rows]

    fig = go.Figure()
    for indicator in indicators.scores():
        if indicator.key == FLOW_SCORE:
            fig.add_trace(
                go.Scatter(
                    x=dates,
                    y=series(indicator),
                    name=indicator.label,
                    mode="lines+markers",
                    line={"width": 3, "color": indicator.chart_color},
                )
            )
            continue
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=series(indicator),
                name=f"{risk_label(indicator)} %",
                mode="lines",
                line={"width": 1.5, "dash": "dot", "color": indicator.chart_color},
                # A model's summary (burnout) is shown; raw signals wait in the legend.
                visible=True if indicator.category == Category.DERIVED else "legendonly",
            )
        )
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        height=360,
        yaxis={"range": [0, 100], "title": "0-100"},
        xaxis={"type": "date"},
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
    )
    return json.loads(fig.to_json())
