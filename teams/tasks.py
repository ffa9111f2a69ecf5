"""Periodic upkeep of the dashboard rollup."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .services import team_day_stats_build

# Longest range the dashboard offers, plus the rolling-mean lead-in.
REBUILD_DAYS = 97


@shared_task(name="teams.tasks.rebuild_team_day_stats")
def rebuild_team_day_stats(days: int = REBUILD_DAYS) -> int:
    """Recompute the TeamDayStat rows of the last ``days`` days from DailyMetric.

    A safety net for writes to past days that did not invalidate their day (the scoring task
    and erasure do). Idempotent: running it twice leaves the same rows. Returns rows written.
    """
    today = timezone.localdate()
    return team_day_stats_build(dates=[today - dt.timedelta(days=i) for i in range(days)])
