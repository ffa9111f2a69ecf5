"""The alert pass compares everyone's last days with their baselines at once; it must give
exactly what ``metrics.baselines.compare`` gives day by day, person by person."""

import datetime as dt
import random

import pytest

from alerts import rules
from alerts.services.evaluation import _recent_comparisons
from metrics import baselines
from metrics.models import DailyMetric
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reference(histories, *, end, t):
    window_start = end - dt.timedelta(days=t.window_days - 1)
    result = {}
    for user_id, days in histories.items():
        recent = sorted((d for d in days if d >= window_start), reverse=True)
        compared = [
            baselines.compare(days, day=d, metric="flow_score")
            for d in recent[: t.below_usual_of_last]
        ]
        result[user_id] = [c for c in compared if c is not None]
    return result


def test_everyone_at_once_matches_the_day_by_day_comparison(team):
    rng = random.Random(3)
    end = dt.date(2026, 6, 30)
    t = rules.Thresholds()
    histories = {}
    rows = []
    for number in range(40):
        person = UserFactory(username=f"p{number}", team=team)
        usual, steadiness = rng.uniform(35, 80), rng.choice([0.5, 4, 12])
        attendance = rng.choice([0.15, 0.5, 0.9, 1.0])  # some never reach a baseline
        days = {}
        for back in range(45):
            day = end - dt.timedelta(days=back)
            if rng.random() < attendance:
                flow = round(min(100, max(0, rng.gauss(usual, steadiness))), rng.choice([0, 1]))
                days[day] = {"flow_score": flow}
                rows.append(DailyMetric(user=person, team=team, date=day, flow_score=flow))
        histories[person.pk] = days
    DailyMetric.objects.bulk_create(rows)

    got = _recent_comparisons(user_ids=None, end=end, t=t)
    expected = _reference(histories, end=end, t=t)

    assert sum(len(v) for v in expected.values()) > 40  # the comparison is not vacuous
    for user_id, comparisons in expected.items():
        mine = got.get(user_id, [])
        assert len(mine) == len(comparisons), user_id
        for a, b in zip(mine, comparisons, strict=True):
            assert (a.value, a.days) == (b.value, b.days)
            assert a.usual == pytest.approx(b.usual, abs=1e-9)
            assert a.spread == pytest.approx(b.spread, abs=1e-9)
            assert a.z == pytest.approx(b.z, abs=1e-9)
    scoped = _recent_comparisons(user_ids=[next(iter(expected))], end=end, t=t)
    assert set(scoped) <= {next(iter(expected))}
