"""One team over one period, as a manager may see it: the published values, or why they are
hidden.

Whether a period is shown is settled once, at publication (``teams.publication``: too few
contributors, or a member's privacy budget spent); this module turns a ``PublishedTeamPeriod`` row
into a dashboard cell and says, in words, why a cell carries no value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from resonance import indicators

from .models import PublishedTeamPeriod
from .periods import period_of
from .privacy import participation_band_value

PARTICIPATION = "participation"


def score_metrics() -> tuple[str, ...]:
    """The published indicators the active profile computes; each is a ``PublishedTeamPeriod``
    column of the same name (``resonance.indicators``)."""
    return indicators.published_keys()


def metrics() -> tuple[str, ...]:
    """What the dashboard can show: the published indicators, and participation (drawn from
    its published band)."""
    return (*score_metrics(), PARTICIPATION)


def metric_period(metric: str) -> str:
    """The period a metric is published for: FlowScore and participation weekly, the other
    components monthly (``teams.publication``'s plan)."""
    return PublishedTeamPeriod.Period.WEEK if metric == PARTICIPATION else period_of(metric)


def metric_label(metric: str) -> str:
    return "Participation" if metric == PARTICIPATION else indicators.get(metric).label


def metric_range(metric: str) -> tuple[float, float]:
    if metric == PARTICIPATION:
        return 0.0, 1.0
    indicator = indicators.get(metric)
    return indicator.low, indicator.high


def metric_format(metric: str) -> str:
    """The d3 format of a value (Plotly's hover text; ``format_value`` matches it)."""
    return ".0%" if metric == PARTICIPATION else indicators.get(metric).value_format


def higher_is_better(metric: str) -> bool:
    return metric == PARTICIPATION or indicators.get(metric).higher_is_better


UNPUBLISHED = "unpublished"
CELL_NOTES = {
    PublishedTeamPeriod.Status.PUBLISHED: "",
    PublishedTeamPeriod.Status.SUPPRESSED: "fewer than {k} people checked in",
    PublishedTeamPeriod.Status.BUDGET: (
        "withheld: it would have spent more than a member's privacy budget allows"
    ),
    UNPUBLISHED: "not published yet: shown once the period has closed for everyone",
}


def published_columns() -> tuple[str, ...]:
    return (
        "team_id",
        "date",
        "status",
        "contributors_band",
        "participation_band",
        *score_metrics(),
    )


@dataclass(slots=True)
class Cell:
    """One team on one day. ``values`` holds None for every metric without a published value.

    ``status`` is a ``PublishedTeamPeriod.Status`` or ``UNPUBLISHED``; ``values["participation"]``
    is the middle of the published participation band (what the heatmap colours it with).
    """

    team_id: int
    date: dt.date
    status: str
    band: str
    participation_band: str
    values: dict[str, float | None]

    @property
    def suppressed(self) -> bool:
        return self.status != PublishedTeamPeriod.Status.PUBLISHED


def cell_note(status: str, *, k: int, has_value: bool, period: str = "") -> str:
    """Why a cell shows no value ("" for a shown value), for hover text, tables and exports."""
    note = CELL_NOTES.get(status, "").format(k=k)
    if not note and not has_value:
        if period == PublishedTeamPeriod.Period.MONTH:
            return (
                f"monthly figures are published for teams of {settings.PRIVACY_MONTH_MIN_GROUP} "
                f"or more contributors, each reported by at least {k}"
            )
        return f"fewer than {k} people reported this"
    return note


def empty_cell(team_id: int, day: dt.date) -> Cell:
    """The cell of a day that has no published row yet."""
    return Cell(
        team_id=team_id,
        date=day,
        status=UNPUBLISHED,
        band="not published",
        participation_band="",
        values=dict.fromkeys(metrics()),
    )


def cell_from_published(row: dict[str, Any]) -> Cell:
    """A dashboard cell from one ``PublishedTeamPeriod`` row (``published_columns()``; pure)."""
    values: dict[str, float | None] = {m: row.get(m) for m in score_metrics()}
    values[PARTICIPATION] = participation_band_value(row["participation_band"])
    return Cell(
        team_id=row["team_id"],
        date=row["date"],
        status=row["status"],
        band=row["contributors_band"],
        participation_band=row["participation_band"],
        values=values,
    )
