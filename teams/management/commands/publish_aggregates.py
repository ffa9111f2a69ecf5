"""``manage.py publish_aggregates``: publish the team weeks and months that have closed
(idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand

from teams.publication import team_periods_publish


class Command(BaseCommand):
    help = (
        "Publish every closed team week and month not yet published: computed once, with "
        "differential-privacy noise, charged to each person's privacy budget, then frozen. "
        "Safe to run any time; Celery beat runs it hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = team_periods_publish()
        self.stdout.write(
            f"Published {summary.published} team periods, {summary.suppressed} suppressed "
            f"(too few people), {summary.withheld} withheld (privacy budget), "
            f"for {len(summary.teams)} team(s)."
        )
