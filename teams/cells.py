"""One team on one day, as a manager may see it: the published values, or why they are hidden.

Whether a day is shown is settled once, at publication (``teams.publication``: too few
contributors, or the team's privacy budget spent); this module turns a ``PublishedTeamDay`` row
into a dashboard cell and says, in words, why a cell carries no value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .models import PublishedTeamDay
from .privacy import participation_band_value

# Metric key -> PublishedTeamDay column. "participation" is drawn from its published band.
SCORE_METRICS: dict[str, str] = {
    "flow_score": "flow_score",
    "fatigue": "fatigue",
    "stress": "stress",
    "burnout": "burnout",
}
METRICS: tuple[str, ...] = (*SCORE_METRICS, "participation")

UNPUBLISHED = "unpublished"
CELL_NOTES = {
    PublishedTeamDay.Status.PUBLISHED: "",
    PublishedTeamDay.Status.SUPPRESSED: "fewer than {k} check-ins",
    PublishedTeamDay.Status.BUDGET: "withheld: the team's privacy budget for the month is spent",
    UNPUBLISHED: "not published yet: shown once the day has closed for everyone",
}

PUBLISHED_COLUMNS = (
    "team_id",
    "date",
    "status",
    "contributors_band",
    "participation_band",
    *SCORE_METRICS.values(),
)


@dataclass(slots=True)
class Cell:
    """One team on one day. ``values`` holds None for every metric without a published value.

    ``status`` is a ``PublishedTeamDay.Status`` or ``UNPUBLISHED``; ``values["participation"]``
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
        return self.status != PublishedTeamDay.Status.PUBLISHED


def cell_note(status: str, *, k: int, has_value: bool) -> str:
    """Why a cell shows no value ("" for a shown value), for hover text, tables and exports."""
    note = CELL_NOTES.get(status, "").format(k=k)
    if not note and not has_value:
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
        values=dict.fromkeys(METRICS),
    )


def cell_from_published(row: dict[str, Any]) -> Cell:
    """A dashboard cell from one ``PublishedTeamDay`` row (``PUBLISHED_COLUMNS``; pure)."""
    values: dict[str, float | None] = {m: row[column] for m, column in SCORE_METRICS.items()}
    values["participation"] = participation_band_value(row["participation_band"])
    return Cell(
        team_id=row["team_id"],
        date=row["date"],
        status=row["status"],
        band=row["contributors_band"],
        participation_band=row["participation_band"],
        values=values,
    )
