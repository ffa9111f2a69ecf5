"""Manager dashboard pages: the heatmap page and its CSV export (managers and admins only)."""

import csv
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.html import json_script
from django.views.decorators.http import require_GET

from . import charts
from .params import BadParameter, parse_dashboard_params
from .selectors import (
    METRIC_LABELS,
    METRICS,
    RANGE_CHOICES,
    can_use_dashboard,
    dashboard_rows,
    team_day_aggregates,
    team_summaries,
)

CSV_COLUMNS = [
    "team",
    "date",
    "metric",
    "value",
    "rolling_mean_7d",
    "participation",
    "contributors",
    "note",
]


class _CompactJSONEncoder(json.JSONEncoder):
    # Figures hold thousands of cells: no spaces after separators trims the page by a fifth.
    def __init__(self, *args, **kwargs):
        kwargs["separators"] = (",", ":")
        super().__init__(*args, **kwargs)


def _figure_script(figure: dict, element_id: str) -> str:
    """The figure as a ``<script type="application/json">`` (escaped by Django's json_script)."""
    return json_script(figure, element_id, encoder=_CompactJSONEncoder)


def _summary_rows(aggregates, *, metric: str) -> list[dict]:
    """The summary table's cells, formatted like the charts' hover text."""
    return [
        {
            "team": row["team"],
            "mean": charts.format_value(row["mean"], metric),
            "latest_rolling": charts.format_value(row["latest_rolling"], metric),
            "participation": row["participation"] or "-",
            "days_suppressed": row["days_suppressed"],
        }
        for row in team_summaries(aggregates, metric=metric)
    ]


def _heatmap_table(aggregates, *, metric: str) -> dict:
    """The heatmap's cells as a table (days down, teams across): its text alternative."""
    by_day: dict = {}
    for row in dashboard_rows(aggregates, metric=metric):
        text = charts.format_value(row["value"], metric) if row["value"] is not None else None
        by_day.setdefault(row["date"], []).append(text or f"hidden: {row['note']}")
    return {
        "teams": [team.name for team in aggregates.teams],
        "rows": [{"date": day, "cells": cells} for day, cells in by_day.items()],
    }


def _require_dashboard_user(request: HttpRequest) -> None:
    if not can_use_dashboard(request.user):
        raise PermissionDenied("The team dashboard is for managers and admins.")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Who: managers (their teams) and admins (every team). Employees get 403."""
    _require_dashboard_user(request)
    try:
        params = parse_dashboard_params(request.GET)
    except BadParameter as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    aggregates = team_day_aggregates(
        user=request.user, date_from=params.date_from, date_to=params.date_to
    )
    heatmap = charts.heatmap_figure(aggregates, metric=params.metric)
    context = {
        "params": params,
        "metric_label": METRIC_LABELS[params.metric],
        "metric_choices": [(m, METRIC_LABELS[m]) for m in METRICS],
        "range_choices": RANGE_CHOICES,
        "teams": aggregates.teams,
        "min_group_size": aggregates.k,
        "summaries": _summary_rows(aggregates, metric=params.metric),
        "heatmap": heatmap,
        "heatmap_table": _heatmap_table(aggregates, metric=params.metric),
        "heatmap_script": _figure_script(heatmap, "heatmap-figure"),
        "trend_script": _figure_script(
            charts.trend_figure(aggregates, metric=params.metric), "trend-figure"
        ),
        "grace_hours": settings.PUBLICATION_GRACE_HOURS,
    }
    return render(request, "teams/dashboard.html", context)


def _csv_cell(value: object) -> object:
    # A leading =, +, - or @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


@login_required
@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    """CSV of exactly the cells on the page for the same ``metric`` and ``days``."""
    _require_dashboard_user(request)
    try:
        params = parse_dashboard_params(request.GET)
    except BadParameter as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    aggregates = team_day_aggregates(
        user=request.user, date_from=params.date_from, date_to=params.date_to
    )
    filename = f"resonance-{params.metric}-{params.date_from}-{params.date_to}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in dashboard_rows(aggregates, metric=params.metric):
        writer.writerow(
            [
                _csv_cell(row["team"]),
                row["date"].isoformat(),
                params.metric,
                _csv_cell(row["value"]),
                _csv_cell(row["rolling_mean_7d"]),
                _csv_cell(row["participation"]),
                row["contributors"],
                row["note"],
            ]
        )
    return response
