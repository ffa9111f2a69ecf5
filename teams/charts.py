"""Plotly figure dicts for the dashboard, built from selector output (pure, no database).

The browser receives these dicts through ``json_script`` and draws them with the vendored
plotly.js; nothing here computes a number that the selectors did not already release.
"""

from __future__ import annotations

from typing import Any

from .cells import (
    UNPUBLISHED,
    cell_note,
    higher_is_better,
    metric_format,
    metric_label,
    metric_range,
)
from .selectors import TeamDayAggregates

# Viridis is perceptually uniform and readable with the common colour-vision deficiencies.
# Risk metrics use it reversed, so "better" is always the light (yellow) end.
COLOR_SCALE = "Viridis"
SUPPRESSED_COLOR = "#c8cdd2"
# Trend charts with more teams than this show the rolling means only, to stay readable.
DAILY_POINTS_MAX_TEAMS = 6
TREND_COLORS = [  # Okabe-Ito, distinguishable with colour-blindness
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]


def format_value(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    if metric_format(metric).endswith("%"):
        return f"{value * 100:.0f}%"
    return f"{value:.1f}"


def _heatmap_height(team_count: int) -> int:
    return max(260, 120 + 28 * team_count)


def heatmap_figure(aggregates: TeamDayAggregates, *, metric: str) -> dict[str, Any]:
    """Teams x periods heatmap of ``metric``; hidden cells are a separate grey layer."""
    label = metric_label(metric)
    k = aggregates.k
    x = [d.isoformat() for d in aggregates.dates]
    y = [t.name for t in aggregates.teams]
    z: list[list[float | None]] = []
    hidden: list[list[int | None]] = []
    details: list[list[list[str] | None]] = []
    marks: list[list[str]] = []
    reasons: list[list[str | None]] = []
    for team in aggregates.teams:
        z_row: list[float | None] = []
        hidden_row: list[int | None] = []
        detail_row: list[list[str] | None] = []
        mark_row: list[str] = []
        reason_row: list[str | None] = []
        for day in aggregates.dates:
            cell = aggregates.cell(team.id, day)
            value = cell.values.get(metric)
            z_row.append(value)
            if value is None:
                hidden_row.append(1)
                unpublished = cell.status == UNPUBLISHED
                mark_row.append("\u2026" if unpublished else "\u00d7")
                reason_row.append(
                    cell_note(cell.status, k=k, has_value=False, period=aggregates.period)
                )
                detail_row.append(None)
            else:
                hidden_row.append(None)
                mark_row.append("")
                reason_row.append(None)
                detail_row.append(
                    [
                        format_value(aggregates.rolling_mean(team.id, day, metric), metric),
                        cell.participation_band or "-",
                        cell.band,
                    ]
                )
        z.append(z_row)
        hidden.append(hidden_row)
        details.append(detail_row)
        marks.append(mark_row)
        reasons.append(reason_row)
    zmin, zmax = metric_range(metric)
    # Participation is published as a band: hover shows the band, never a share.
    value_hover = (
        "%{customdata[1]}" if metric == "participation" else f"%{{z:{metric_format(metric)}}}"
    )
    values_trace = {
        "type": "heatmap",
        "name": label,
        "x": x,
        "y": y,
        "z": z,
        "customdata": details,
        "hovertemplate": (
            f"%{{y}} · %{{x}}<br>{label}: {value_hover}"
            "<br>4-period trend: %{customdata[0]}<br>Participation: %{customdata[1]}"
            "<br>%{customdata[2]}<extra></extra>"
        ),
        "colorscale": COLOR_SCALE,
        "reversescale": not higher_is_better(metric),
        "zmin": zmin,
        "zmax": zmax,
        "xgap": 1,
        "ygap": 1,
        "hoverongaps": False,
        "colorbar": {"title": {"text": label}},
    }
    suppressed_trace = {
        "type": "heatmap",
        "name": "no published value",
        "x": x,
        "y": y,
        "z": hidden,
        "text": marks,
        "customdata": reasons,
        "texttemplate": "%{text}",
        "textfont": {"color": "#52606d", "size": 9},
        "hovertemplate": "%{y} · %{x}<br>%{customdata}<extra></extra>",
        "colorscale": [[0, SUPPRESSED_COLOR], [1, SUPPRESSED_COLOR]],
        "showscale": False,
        "zmin": 0,
        "zmax": 1,
        "xgap": 1,
        "ygap": 1,
        "hoverongaps": False,
    }
    layout = {
        "title": {"text": f"{label} by team and {aggregates.period}"},
        "height": _heatmap_height(len(y)),
        "margin": {"l": 140, "r": 20, "t": 50, "b": 60},
        "xaxis": {"type": "date", "title": {"text": f"{aggregates.period.capitalize()} starting"}},
        "yaxis": {"automargin": True, "autorange": "reversed", "type": "category"},
        "plot_bgcolor": "#ffffff",
    }
    return {"data": [values_trace, suppressed_trace], "layout": layout}


def trend_figure(aggregates: TeamDayAggregates, *, metric: str) -> dict[str, Any]:
    """One trend line per team (the mean of the last four periods; plus each period's point
    when there are few teams)."""
    label = metric_label(metric)
    x = [d.isoformat() for d in aggregates.dates]
    show_daily = len(aggregates.teams) <= DAILY_POINTS_MAX_TEAMS
    traces: list[dict] = []
    for index, team in enumerate(aggregates.teams):
        color = TREND_COLORS[index % len(TREND_COLORS)]
        rolling = aggregates.rolling_series(team.id, metric)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{team.name} (4-{aggregates.period} trend)",
                "legendgroup": str(team.id),
                "x": x,
                "y": rolling,
                "line": {"color": color, "width": 2},
                "connectgaps": False,
                "hovertemplate": f"{team.name}<br>%{{x}}<br>trend: %{{y:.3~f}}<extra></extra>",
            }
        )
        if show_daily:
            daily = aggregates.daily_values(team.id, metric)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{team.name} (daily)",
                    "legendgroup": str(team.id),
                    "showlegend": False,
                    "x": x,
                    "y": daily,
                    "marker": {"color": color, "size": 5, "opacity": 0.45},
                    "hovertemplate": (
                        f"{team.name}<br>%{{x}}<br>{label}: %{{y:.3~f}}<extra></extra>"
                    ),
                }
            )
    low, high = metric_range(metric)
    layout = {
        "title": {"text": f"{label}: trend over 4 {aggregates.period}s"},
        "height": 360,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "xaxis": {"type": "date", "title": {"text": f"{aggregates.period.capitalize()} starting"}},
        "yaxis": {
            "range": [low, high],
            "title": {"text": label},
            "tickformat": ".0%" if high == 1.0 else "",
        },
        "legend": {"orientation": "h", "y": -0.2},
        "showlegend": len(aggregates.teams) <= 12,
    }
    return {"data": traces, "layout": layout}
