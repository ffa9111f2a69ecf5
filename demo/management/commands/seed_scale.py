"""``manage.py seed_scale``: a large synthetic organisation for benchmarks."""

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.scale import (
    SCALE_ADMIN_USERNAME,
    SCALE_MANAGER_PREFIX,
    SCALE_TEAM_PREFIX,
    scale_data_create,
)
from teams.models import Team
from teams.publication import team_periods_publish


class Command(BaseCommand):
    help = (
        "Bulk-create teams (one manager each, scale-m001...), employees (scale-e00001...), the "
        "admin scale-admin and one DailyMetric per employee per day, then publishes the closed "
        "days of the scale teams. Idempotent: existing scale data is kept unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employees", type=int, default=5000)
        parser.add_argument("--teams", type=int, default=50)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--end-date", type=dt.date.fromisoformat, default=None, help="last day (default today)"
        )
        parser.add_argument(
            "--password", default=None, help="password of every scale user (default: unusable)"
        )
        parser.add_argument("--reset", action="store_true", help="delete existing scale data first")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = scale_data_create(
                employees=options["employees"],
                teams=options["teams"],
                days=options["days"],
                seed=options["seed"],
                end_date=options["end_date"],
                password=options["password"],
                reset=options["reset"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.teams} teams, {result.employees} employees, "
                    f"{result.managers} managers ({SCALE_MANAGER_PREFIX}001...) and "
                    f"{result.daily_metrics} daily metrics in {elapsed:.1f}s. "
                    f"Admin: {SCALE_ADMIN_USERNAME}."
                )
            )
        else:
            self.stdout.write(
                f"Scale data already present ({result.teams} teams, {result.employees} "
                f"employees, {result.daily_metrics} daily metrics); use --reset to regenerate."
            )
        self._publish()

    def _publish(self) -> None:
        """Publish the scale teams' closed days, so their managers see a dashboard.

        Only the scale teams: seeding a benchmark must not freeze other teams' days. Without
        announcing: the seeded backlog raises no team alerts (and needs no Celery broker).
        Idempotent, so a run on existing data only publishes the days that closed since.
        """
        started = time.perf_counter()
        scale_teams = Team.objects.filter(name__startswith=SCALE_TEAM_PREFIX)
        summary = team_periods_publish(
            team_ids=list(scale_teams.values_list("pk", flat=True)), announce=False
        )
        self.stdout.write(
            f"Published {summary.published} team periods, {summary.suppressed} suppressed "
            f"(too few people), {summary.withheld} withheld (privacy budget), for "
            f"{len(summary.teams)} team(s) in {time.perf_counter() - started:.1f}s; today and "
            "days not yet closed everywhere stay unpublished."
        )
