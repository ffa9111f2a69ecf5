"""Read every connected calendar once, here and now (what Celery beat runs daily)."""

from typing import Any

from django.core.management.base import BaseCommand

from calendars.services import calendars_sync_all


class Command(BaseCommand):
    help = "Sync every connected calendar once: meeting load of the last CALENDAR_SYNC_DAYS days."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = calendars_sync_all()
        for failure in summary.failures:
            self.stderr.write(f"failed: {failure}")
        self.stdout.write(str(summary))
