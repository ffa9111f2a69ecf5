"""``manage.py publish_aggregates``: publish the team-days that have closed (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand

from teams.publication import team_days_publish


class Command(BaseCommand):
    help = (
        "Publish every closed team-day not yet published: computed once, with differential-"
        "privacy noise, then frozen. Safe to run any time; Celery beat runs it hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = team_days_publish()
        self.stdout.write(
            f"Published {summary.published} team-days, {summary.suppressed} suppressed "
            f"(too few people), {summary.withheld} withheld (privacy budget), "
            f"for {len(summary.teams)} team(s)."
        )
