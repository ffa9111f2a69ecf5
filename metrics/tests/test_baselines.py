"""Personal baselines: robust, per person, only after enough days; shown on My trends."""

import datetime as dt

import pytest

from metrics import baselines
from metrics.models import DailyMetric

DAY = dt.date(2026, 11, 20)


def history(flows: list[float], *, end: dt.date = DAY) -> dict:
    start = end - dt.timedelta(days=len(flows) - 1)
    return {
        start + dt.timedelta(days=i): {"flow_score": f, "fatigue": 0.3} for i, f in enumerate(flows)
    }


def test_no_baseline_before_five_previous_days():
    assert baselines.compare(history([70, 71, 69, 70, 40]), day=DAY, metric="flow_score") is None
    assert baselines.days_until_baseline(history([70, 71, 69, 70, 40])) == 1
    assert baselines.compare(history([70, 71, 69, 70, 72, 40]), day=DAY, metric="flow_score")


def test_a_bad_day_is_judged_against_the_persons_own_usual():
    steady_high = baselines.compare(
        history([80, 82, 79, 81, 80, 83, 60]), day=DAY, metric="flow_score"
    )
    steady_low = baselines.compare(
        history([55, 58, 62, 57, 60, 59, 60]), day=DAY, metric="flow_score"
    )

    assert steady_high.usual == pytest.approx(80.5)
    assert steady_high.worse and steady_high.words == "well below your usual"
    assert not steady_low.worse and steady_low.words == "about your usual"


def test_the_median_and_its_spread_shrug_off_one_odd_day():
    with_outlier = baselines.compare(
        history([70, 71, 20, 69, 70, 72, 70]), day=DAY, metric="flow_score"
    )
    assert with_outlier.usual == pytest.approx(70.0)
    assert with_outlier.spread == pytest.approx(baselines.spread_floor("flow_score"))


def test_a_very_steady_person_is_not_alarmed_by_a_small_dip():
    dip = baselines.compare(history([70] * 10 + [65]), day=DAY, metric="flow_score")
    assert dip.z == pytest.approx(-5 / 3)
    assert not dip.worse


def test_risk_components_are_worse_when_higher():
    rows = history([70] * 7)
    for i, day in enumerate(sorted(rows)):
        rows[day]["fatigue"] = 0.2 + 0.01 * (i % 2)
    rows[DAY]["fatigue"] = 0.5
    fatigue = baselines.compare(rows, day=DAY, metric="fatigue")
    assert fatigue.worse and fatigue.words == "well above your usual"


@pytest.mark.django_db
def test_my_trends_shows_the_comparison_after_enough_days(client, employee):
    today = dt.date.today()
    client.force_login(employee)
    for back, flow in enumerate([35, 72, 70, 74, 71, 73, 72]):
        DailyMetric.objects.create(
            user=employee,
            team=employee.team,
            date=today - dt.timedelta(days=back),
            flow_score=flow,
            fatigue=0.3,
            stress=0.3,
            burnout=0.3,
            checkin_count=1,
        )

    body = client.get("/me/trends/").content.decode()

    assert 'id="usual-table"' in body
    assert "well below your usual" in body
    assert "72.0" in body  # the usual: the median of the six days before


@pytest.mark.django_db
def test_my_trends_says_how_many_days_are_still_needed(client, employee):
    client.force_login(employee)
    DailyMetric.objects.create(
        user=employee, team=employee.team, date=dt.date.today(), flow_score=60, checkin_count=1
    )

    body = client.get("/me/trends/").content.decode()

    assert 'id="usual-learning"' in body
    assert "after 5 more scored days" in " ".join(body.split())
