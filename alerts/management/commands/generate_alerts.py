"""Evaluate every alert rule for all users and teams (what Celery beat runs daily)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alerts.services.evaluation import alerts_evaluate


class Command(BaseCommand):
    help = "Evaluate individual and team alert rules for everyone as of a date (default today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Evaluation date, YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--no-email", action="store_true", help="Evaluate without emailing anyone."
        )

    def handle(self, *args: Any, date: str | None, no_email: bool, **options: Any) -> None:
        try:
            on_date = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}.") from exc
        result = alerts_evaluate(on_date=on_date, notify=not no_email)
        for scope in ("individual", "team"):
            counts = result[scope]
            self.stdout.write(
                f"{scope:<10} created {counts['created']}, updated {counts['updated']} "
                f"(escalated {counts['escalated']}), resolved {counts['resolved']}"
            )
        self.stdout.write(f"emails queued: {result['notified']} (evaluated for {on_date})")
