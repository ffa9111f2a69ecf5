"""Manager dashboard pages: the heatmap page and its CSV export (managers and admins only)."""

import csv
import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.html import json_script
from django.views.decorators.http import require_GET

from accounts.requests import AuthenticatedHttpRequest
from audit.models import AccessEvent
from audit.services import record_access
from resonance.db_router import replica_reads

from . import charts
from .cells import metric_label, metric_period, metrics
from .params import (
    RANGE_CHOICES,
    BadParameter,
    DashboardParams,
    parse_dashboard_params,
)
from .selectors import (
    TeamDayAggregates,
    TeamPage,
    can_use_dashboard,
    dashboard_rows,
    dashboard_team_page,
    team_day_aggregates,
    team_summaries,
)

CSV_COLUMNS = [
    "team",
    "date",
    "period",
    "metric",
    "value",
    "rolling_mean",
    "participation",
    "contributors",
    "note",
]


class _CompactJSONEncoder(json.JSONEncoder):
    # Figures hold thousands of cells: no spaces after separators trims the page by a fifth.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["separators"] = (",", ":")
        super().__init__(*args, **kwargs)


def _figure_script(figure: dict[str, Any], element_id: str) -> str:
    """The figure as a ``<script type="application/json">`` (escaped by Django's json_script)."""
    return json_script(figure, element_id, encoder=_CompactJSONEncoder)


def _summary_rows(aggregates: TeamDayAggregates, *, metric: str) -> list[dict[str, Any]]:
    """The summary table's cells, formatted like the charts' hover text."""
    return [
        {
            "team": row["team"],
            "mean": charts.format_value(row["mean"], metric),
            "latest_rolling": charts.format_value(row["latest_rolling"], metric),
            "participation": row["participation"] or "-",
            "days_suppressed": row["days_suppressed"],
            "periods": row["days_shown"] + row["days_suppressed"],
        }
        for row in team_summaries(aggregates, metric=metric)
    ]


def _heatmap_table(aggregates: TeamDayAggregates, *, metric: str) -> dict[str, Any]:
    """The heatmap's cells as a table (days down, teams across): its text alternative."""
    by_day: dict[Any, list[str]] = {}
    for row in dashboard_rows(aggregates, metric=metric):
        text = charts.format_value(row["value"], metric) if row["value"] is not None else None
        by_day.setdefault(row["date"], []).append(text or f"hidden: {row['note']}")
    return {
        "teams": [team.name for team in aggregates.teams],
        "rows": [{"date": day, "cells": cells} for day, cells in by_day.items()],
    }


DashboardView = Callable[
    [AuthenticatedHttpRequest, DashboardParams, TeamDayAggregates, TeamPage], HttpResponse
]


def dashboard_view(
    *, paginated: bool
) -> Callable[[DashboardView], Callable[[AuthenticatedHttpRequest], HttpResponse]]:
    """Managers and admins only (403 otherwise); the ``metric``/``days`` parameters parsed (400
    with the reason when unusable) and the aggregates the user may see, loaded for the view:
    one page of teams (``q``, ``page``) when ``paginated``, else every team the search keeps."""

    def decorate(view: DashboardView) -> Callable[[AuthenticatedHttpRequest], HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: AuthenticatedHttpRequest) -> HttpResponse:
            if not can_use_dashboard(request.user):
                raise PermissionDenied("The team dashboard is for managers and admins.")
            try:
                params = parse_dashboard_params(request.GET)
            except BadParameter as exc:
                return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
            with replica_reads():
                page = dashboard_team_page(
                    user=request.user,
                    search=params.search,
                    page=params.page,
                    per_page=settings.DASHBOARD_TEAMS_PER_PAGE if paginated else None,
                )
                aggregates = team_day_aggregates(
                    user=request.user,
                    date_from=params.date_from,
                    date_to=params.date_to,
                    team_ids=page.team_ids,
                    period=metric_period(params.metric),
                )
                response = view(request, params, aggregates, page)
            export = response.get("Content-Type", "").startswith("text/csv")
            record_access(
                actor=request.user,
                action=AccessEvent.Action.DASHBOARD_EXPORT
                if export
                else AccessEvent.Action.DASHBOARD_VIEW,
                team_ids=[team.id for team in aggregates.teams],
                detail=f"{params.metric}, last {params.days} days",
            )
            return response

        return wrapper

    return decorate


@login_required
@require_GET
@dashboard_view(paginated=True)
def dashboard(
    request: AuthenticatedHttpRequest,
    params: DashboardParams,
    aggregates: TeamDayAggregates,
    page: TeamPage,
) -> HttpResponse:
    """Who: managers (their teams) and admins (every team). Employees get 403."""
    heatmap = charts.heatmap_figure(aggregates, metric=params.metric)
    context = {
        "params": params,
        "metric_label": metric_label(params.metric),
        "metric_choices": [(m, metric_label(m)) for m in metrics()],
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
        "period": aggregates.period,
        "team_page": page,
    }
    return render(request, "teams/dashboard.html", context)


def _csv_cell(value: object) -> object:
    # A leading =, +, - or @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


@login_required
@require_GET
@dashboard_view(paginated=False)
def dashboard_csv(
    request: AuthenticatedHttpRequest,
    params: DashboardParams,
    aggregates: TeamDayAggregates,
    page: TeamPage,
) -> HttpResponse:
    """CSV of exactly the cells on the page for the same ``metric`` and ``days``."""
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
                row["period"],
                params.metric,
                _csv_cell(row["value"]),
                _csv_cell(row["rolling_mean"]),
                _csv_cell(row["participation"]),
                row["contributors"],
                row["note"],
            ]
        )
    return response
