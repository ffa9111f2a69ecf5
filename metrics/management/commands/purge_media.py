"""Delete raw check-in media older than the retention setting."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from metrics.services.housekeeping import checkin_media_purge


class Command(BaseCommand):
    help = (
        "Delete images and audio of scored or failed check-ins older than MEDIA_RETENTION_DAYS "
        "(or --days)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep media younger than this many days (default: MEDIA_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        days = settings.MEDIA_RETENTION_DAYS if days is None else days
        if days < 0:
            self.stderr.write("--days must be 0 or more.")
            return
        deleted = checkin_media_purge(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} media file(s) older than {days} day(s).")
