import datetime as dt
from collections.abc import Sequence

import pytest

from metrics.models import DailyMetric
from tests.factories import UserFactory

ON = dt.date(2026, 11, 20)


def add_days(
    user,
    flows: Sequence[float | None],
    *,
    end: dt.date = ON,
    burnout: Sequence[float | None] | None = None,
    team=None,
) -> None:
    """Daily metrics for ``user`` on consecutive days ending at ``end`` (oldest first)."""
    start = end - dt.timedelta(days=len(flows) - 1)
    burnouts = list(burnout) if burnout is not None else [None] * len(flows)
    DailyMetric.objects.bulk_create(
        [
            DailyMetric(
                user=user,
                team=team if team is not None else user.team,
                date=start + dt.timedelta(days=i),
                flow_score=flow,
                burnout=b,
                checkin_count=1,
            )
            for i, (flow, b) in enumerate(zip(flows, burnouts, strict=True))
        ]
    )


@pytest.fixture
def crew(team, employee, teammate):
    """Five members of ``team`` (employee and teammate among them)."""
    others = [UserFactory(team=team) for _ in range(3)]
    return [employee, teammate, *others]
