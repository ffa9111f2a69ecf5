"""Scheduled publication of team aggregates (weeks and months)."""

import dataclasses

from celery import shared_task

from .publication import team_periods_publish


@shared_task(name="teams.tasks.publish_team_days")
def publish_team_days() -> dict:
    """Publish every team week and month that has closed since the last run (Celery beat,
    hourly; the task keeps its name so existing schedules keep working).

    Idempotent: each team is published under a lock on its row and published periods are
    never computed again, so running it twice (or two workers at once) publishes and charges
    each period exactly once.
    """
    return dataclasses.asdict(team_periods_publish())
