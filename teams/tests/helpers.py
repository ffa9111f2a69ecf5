"""Test data for the dashboard: teams whose members checked in with known scores."""

import datetime as dt

from metrics.models import DailyMetric
from resonance import indicators
from teams.publication import PublicationSummary, team_periods_publish
from tests.factories import UserFactory

# A Sunday: publishing through it closes its week (Monday 9 to Sunday 15 March).
DAY = dt.date(2026, 3, 15)


def add_members(team, count: int, *, prefix: str | None = None) -> list:
    prefix = prefix or f"{team.name.lower()}-m"
    start = team.members.count()
    return [UserFactory(username=f"{prefix}{start + i}", team=team) for i in range(count)]


def add_day(
    members, day: dt.date, *, flow: float = 70.0, fatigue: float | None = 0.3, **extra
) -> None:
    """One DailyMetric per member on ``day`` with the same scores, as the scoring task writes
    them: ``fatigue`` and ``extra``, 0.3 for every other component the registry declares.
    Managers see nothing of it until the day is published (``publish``)."""
    components = {key: 0.3 for key in indicators.all_score_keys() if key != "flow_score"}
    components.update(fatigue=fatigue, **extra)
    DailyMetric.objects.bulk_create(
        [
            DailyMetric(
                user=m,
                team_id=m.team_id,
                date=day,
                flow_score=flow,
                **components,
                checkin_count=1,
            )
            for m in members
        ]
    )


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: the date of the weekly cell that holds it."""
    return day - dt.timedelta(days=day.weekday())


def closing_time(day: dt.date) -> dt.datetime:
    """A moment at which ``day`` has closed (plus the grace period) for UTC members only."""
    return dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0, 30), tzinfo=dt.UTC)


def last_week_end(today: dt.date) -> dt.date:
    """The latest Sunday at least two days before ``today``: a week that has closed
    everywhere, grace period included, whatever the hour."""
    day = today - dt.timedelta(days=2)
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def publish(through: dt.date = DAY, **kwargs) -> PublicationSummary:
    """Run the publication as the hourly task would once ``through`` has closed: every week
    and month that ended by then is published."""
    return team_periods_publish(now=closing_time(through), **kwargs)
