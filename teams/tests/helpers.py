"""Test data for the dashboard: teams whose members checked in with known scores."""

import datetime as dt

from metrics.models import DailyMetric
from teams.services import team_day_stats_invalidate
from tests.factories import UserFactory

DAY = dt.date(2026, 3, 10)


def add_members(team, count: int, *, prefix: str | None = None) -> list:
    prefix = prefix or f"{team.name.lower()}-m"
    start = team.members.count()
    return [UserFactory(username=f"{prefix}{start + i}", team=team) for i in range(count)]


def add_day(
    members, day: dt.date, *, flow: float = 70.0, fatigue: float | None = 0.3, **extra
) -> None:
    """One DailyMetric per member on ``day`` with the same scores, as the scoring task writes
    them (including marking the day stale in the dashboard rollup)."""
    DailyMetric.objects.bulk_create(
        [
            DailyMetric(
                user=m,
                team_id=m.team_id,
                date=day,
                flow_score=flow,
                fatigue=fatigue,
                stress=extra.get("stress", 0.3),
                burnout=extra.get("burnout", 0.3),
                checkin_count=1,
            )
            for m in members
        ]
    )
    team_day_stats_invalidate(dates=[day])
