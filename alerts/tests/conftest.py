import datetime as dt
from collections.abc import Sequence

import pytest

from alerts.models import BurnoutAlert
from alerts.services.evaluation import alerts_evaluate
from metrics.models import DailyMetric
from teams.tests.helpers import publish
from tests.factories import UserFactory

ON = dt.date(2026, 11, 22)  # a Sunday: publishing through it closes its week


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


def as_if_raised_on(day: dt.date) -> None:
    """Date the individual alerts of this test back to ``day``, when the check-ins that
    raised them happened (tests evaluate past days today; publication counts an alert for a
    day only if it was open at the end of that day)."""
    raised = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    BurnoutAlert.objects.filter(scope=BurnoutAlert.Scope.INDIVIDUAL).update(created_at=raised)


def evaluate_after_publication(on_date: dt.date = ON, **kwargs) -> dict:
    """The day as production lives it: individual alerts first (check-ins raise them, and
    publication reads who had one), then the publication of every day through ``on_date``,
    then the daily evaluation, whose team rules read the published days. The individual
    alerts count from the start of the window. Returns the last evaluation's summary."""
    alerts_evaluate(on_date=on_date, notify=False)
    as_if_raised_on(on_date - dt.timedelta(days=13))
    publish(through=on_date, announce=False)
    return alerts_evaluate(on_date=on_date, **kwargs)


@pytest.fixture
def crew(team, employee, teammate):
    """Five members of ``team`` (employee and teammate among them)."""
    others = [UserFactory(team=team) for _ in range(3)]
    return [employee, teammate, *others]
