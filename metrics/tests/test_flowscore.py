"""Pure cores: FlowScore, coach messages, burnout features, the trends figure (no database)."""

import datetime as dt

import pytest

from metrics.charts import trends_figure
from metrics.features import burnout_features
from metrics.flowscore import coach_message, flow_score, mean_or_none

WEIGHTS = {"fatigue": 0.3, "stress": 0.3, "burnout": 0.4}


def test_it_weights_all_three_components():
    # risk = 0.3*0.2 + 0.3*0.4 + 0.4*0.5 = 0.38
    assert flow_score({"fatigue": 0.2, "stress": 0.4, "burnout": 0.5}, WEIGHTS) == 62.0


def test_it_renormalises_over_the_components_present():
    # Only fatigue and burnout: risk = (0.3*0.2 + 0.4*0.9) / 0.7 = 0.6
    assert flow_score({"fatigue": 0.2, "stress": None, "burnout": 0.9}, WEIGHTS) == 40.0
    assert flow_score({"burnout": 0.25}, WEIGHTS) == 75.0


def test_it_returns_none_without_components():
    assert flow_score({"fatigue": None, "stress": None, "burnout": None}, WEIGHTS) is None
    assert flow_score({}, WEIGHTS) is None


def test_it_ignores_components_without_weight():
    assert flow_score({"fatigue": 1.0, "stress": 0.0}, {"fatigue": 0.0, "stress": 1.0}) == 100.0


def test_it_rounds_to_one_decimal_and_spans_0_to_100():
    assert flow_score({"fatigue": 1 / 3}, WEIGHTS) == 66.7
    assert flow_score({"fatigue": 0.0, "stress": 0.0, "burnout": 0.0}, WEIGHTS) == 100.0
    assert flow_score({"fatigue": 1.0, "stress": 1.0, "burnout": 1.0}, WEIGHTS) == 0.0


def test_it_refuses_components_outside_0_1():
    with pytest.raises(ValueError, match="fatigue"):
        flow_score({"fatigue": 1.5}, WEIGHTS)


@pytest.mark.parametrize(
    ("score", "phrase"),
    [
        (12.0, "block an hour"),
        (29.9, "block an hour"),
        (30.0, "breathing"),
        (49.9, "short walk"),
        (50.0, "focused work blocks"),
        (69.9, "focused work blocks"),
        (70.0, "great flow"),
        (100.0, "great flow"),
    ],
)
def test_it_picks_the_coach_message_by_band(score, phrase):
    assert phrase in coach_message(score)


def test_it_gives_no_coach_message_without_a_score():
    assert coach_message(None) == ""


def test_mean_or_none():
    assert mean_or_none([None, 0.2, 0.4]) == pytest.approx(0.3)
    assert mean_or_none([None, None]) is None


def _features(**overrides):
    values = {
        "on_date": dt.date(2026, 11, 25),
        "company_joined_on": dt.date(2025, 11, 25),
        "designation": 3,
        "company_type": "product",
        "wfh_available": False,
        "hours_worked": None,
        "mental_fatigue": None,
    }
    model_scores = {k: overrides.pop(k) for k in ("fatigue", "stress") if k in overrides}
    values.update(overrides)
    return burnout_features(**values, model_scores=model_scores)


def test_features_take_the_profile():
    features = _features()
    assert features["tenure_days"] == 365
    assert features["designation"] == 3
    assert features["company_type"] == "product"
    assert features["wfh_available"] is False


def test_features_clamp_hours_to_the_model_range():
    assert _features(hours_worked=13.5)["resource_allocation"] == 10.0
    assert _features(hours_worked=0.5)["resource_allocation"] == 1.0
    assert _features(hours_worked=7.5)["resource_allocation"] == 7.5
    assert _features(hours_worked=None)["resource_allocation"] is None


def test_features_prefer_the_self_reported_mental_fatigue():
    assert _features(mental_fatigue=4, fatigue=0.9, stress=0.9)["mental_fatigue"] == 4.0


def test_features_derive_mental_fatigue_from_todays_models():
    assert _features(fatigue=0.6, stress=0.2)["mental_fatigue"] == pytest.approx(4.0)
    assert _features(fatigue=None, stress=0.35)["mental_fatigue"] == pytest.approx(3.5)
    assert _features(fatigue=None, stress=None)["mental_fatigue"] is None


def test_features_leave_unknown_profile_values_missing():
    features = _features(company_joined_on=None, designation=None)
    assert features["tenure_days"] is None
    assert features["designation"] is None


def test_trends_figure_has_flow_and_components_in_date_order():
    rows = [
        {"date": dt.date(2026, 11, 2), "flow_score": 55.0, "fatigue": 0.5, "stress": None},
        {"date": dt.date(2026, 11, 1), "flow_score": 70.0, "fatigue": 0.25, "burnout": 0.3},
    ]
    figure = trends_figure(rows)
    names = [trace["name"] for trace in figure["data"]]
    assert names[0] == "FlowScore"
    assert {"Fatigue risk %", "Voice stress risk %", "Burnout risk %"} <= set(names)
    flow = figure["data"][0]
    assert list(flow["x"]) == ["2026-11-01", "2026-11-02"]
    assert list(flow["y"]) == [70.0, 55.0]
    fatigue = next(t for t in figure["data"] if t["name"] == "Fatigue risk %")
    assert list(fatigue["y"]) == [25.0, 50.0]
    assert figure["layout"]["yaxis"]["range"] == [0, 100]
