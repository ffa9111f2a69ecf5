"""Chart building is pure: figures are built from plain selector output, without a database."""

import datetime as dt

import plotly.graph_objects as go

from teams.cells import UNPUBLISHED, Cell
from teams.charts import SUPPRESSED_COLOR, heatmap_figure, trend_figure
from teams.privacy import contributor_band
from teams.selectors import TeamDayAggregates, TeamInfo

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 9)  # two weeks (Mondays)


def shown(team_id: int, day: dt.date, flow: float, contributors: int = 6) -> Cell:
    return Cell(
        team_id=team_id,
        date=day,
        status="published",
        band=contributor_band(contributors, k=5),
        participation_band="75% or more",
        values={
            "flow_score": flow,
            "fatigue": 0.25,
            "stress": None,
            "burnout": 0.4,
            "participation": 0.875,
        },
    )


def sample() -> TeamDayAggregates:
    aggregates = TeamDayAggregates(
        teams=[
            TeamInfo(id=1, name="Atlas", members="5-9 people"),
            TeamInfo(id=2, name="Borealis", members="fewer than 5"),
        ],
        dates=[D1, D2],
        k=5,
    )
    aggregates.cells[(1, D1)] = shown(1, D1, 71.25)
    aggregates.cells[(1, D2)] = shown(1, D2, 65.0, contributors=7)
    aggregates.cells[(2, D1)] = Cell(
        team_id=2,
        date=D1,
        status="suppressed",
        band="fewer than 5",
        participation_band="",
        values=dict.fromkeys(["flow_score", "fatigue", "stress", "burnout", "participation"]),
    )
    return aggregates


def test_heatmap_has_teams_by_days_and_a_separate_suppressed_layer():
    figure = heatmap_figure(sample(), metric="flow_score")
    values, hidden = figure["data"]

    assert values["y"] == ["Atlas", "Borealis"]
    assert values["x"] == ["2026-03-02", "2026-03-09"]
    assert values["z"] == [[71.25, 65.0], [None, None]]
    assert hidden["z"] == [[None, None], [1, 1]]
    assert hidden["colorscale"][0][1] == SUPPRESSED_COLOR
    # Why each cell is empty: too few people, or the day is not published yet.
    assert hidden["customdata"][1][0] == "fewer than 5 people checked in"
    assert "not published yet" in hidden["customdata"][1][1]
    assert hidden["text"][1] == ["\u00d7", "\u2026"]
    assert aggregates_status(sample()) == ["published", "published", "suppressed", UNPUBLISHED]
    assert values["colorscale"] == "Viridis"
    assert values["reversescale"] is False
    go.Figure(figure)  # raises on anything Plotly does not accept


def test_heatmap_hover_shows_a_band_not_an_exact_count():
    figure = heatmap_figure(sample(), metric="flow_score")
    detail = figure["data"][0]["customdata"][0][0]

    assert detail == ["-", "75% or more", "5-9 people"]
    assert "%{z:.1f}" in figure["data"][0]["hovertemplate"]
    assert figure["data"][0]["customdata"][1] == [None, None]


def test_participation_hover_shows_the_band_never_a_share():
    figure = heatmap_figure(sample(), metric="participation")
    values = figure["data"][0]

    assert "%{customdata[1]}" in values["hovertemplate"]
    assert "%{z" not in values["hovertemplate"]


def aggregates_status(aggregates: TeamDayAggregates) -> list[str]:
    return [
        aggregates.cell(team.id, day).status
        for team in aggregates.teams
        for day in aggregates.dates
    ]


def test_heatmap_of_a_risk_metric_reverses_the_scale_and_hides_missing_components():
    figure = heatmap_figure(sample(), metric="stress")
    values, hidden = figure["data"]

    assert values["reversescale"] is True
    assert (values["zmin"], values["zmax"]) == (0.0, 1.0)
    assert values["z"][0] == [None, None]
    assert hidden["z"][0] == [1, 1]


def test_trend_has_one_rolling_line_per_team_and_daily_points_when_few_teams():
    aggregates = sample()
    aggregates.lead_in[(1, D1 - dt.timedelta(days=7))] = {"flow_score": 80.0}
    figure = trend_figure(aggregates, metric="flow_score")

    lines = [t for t in figure["data"] if t["mode"] == "lines"]
    points = [t for t in figure["data"] if t["mode"] == "markers"]
    assert [t["name"] for t in lines] == ["Atlas (4-week trend)", "Borealis (4-week trend)"]
    assert lines[0]["y"] == [75.625, 72.0833]  # 2 shown weeks at least: 80, 71.25, 65
    assert lines[1]["y"] == [None, None]
    assert points[0]["y"] == [71.25, 65.0]
    assert points[1]["y"] == [None, None]
    go.Figure(figure)


def test_trend_with_many_teams_keeps_only_the_rolling_means():
    aggregates = TeamDayAggregates(
        teams=[TeamInfo(id=i, name=f"T{i}", members="5-9 people") for i in range(10)],
        dates=[D1],
        k=5,
    )
    figure = trend_figure(aggregates, metric="participation")

    assert len(figure["data"]) == 10
    assert figure["layout"]["yaxis"]["tickformat"] == ".0%"
