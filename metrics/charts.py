"""Chart building for the employee's own trends (pure: rows in, Plotly figure JSON out)."""

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import plotly.graph_objects as go


def trends_figure(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """FlowScore (0-100) and its components (as % risk) per day.

    ``rows`` are dicts with ``date`` and optional ``flow_score``, ``fatigue``, ``stress``,
    ``burnout`` (components in [0, 1]). Returns a plain, JSON-ready figure dict.
    """
    rows = sorted(rows, key=lambda r: r["date"])
    dates = [r["date"].isoformat() if isinstance(r["date"], dt.date) else r["date"] for r in rows]

    def series(key: str, scale: float = 1.0) -> list[float | None]:
        return [None if r.get(key) is None else round(r[key] * scale, 1) for r in rows]

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=series("flow_score"),
            name="FlowScore",
            mode="lines+markers",
            line={"width": 3, "color": "#2f5d8a"},
        )
    )
    for key, label, color in (
        ("fatigue", "Fatigue risk %", "#e07b39"),
        ("stress", "Voice stress risk %", "#b42318"),
        ("burnout", "Burnout risk %", "#7c3aed"),
    ):
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=series(key, 100.0),
                name=label,
                mode="lines",
                line={"width": 1.5, "dash": "dot", "color": color},
                visible="legendonly" if key != "burnout" else True,
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
