"""Scheduled publication of team-day aggregates."""

import dataclasses

from celery import shared_task

from .publication import team_days_publish


@shared_task(name="teams.tasks.publish_team_days")
def publish_team_days() -> dict:
    """Publish every team-day that has closed since the last run (Celery beat, hourly).

    Idempotent: published days are never computed again, so running it twice (or two workers
    at once) publishes each day exactly once.
    """
    return dataclasses.asdict(team_days_publish())
