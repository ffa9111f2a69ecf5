"""Send failed check-ins (that still have their upload) back to the scoring queue."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from metrics.models import CheckIn
from metrics.services.housekeeping import checkins_retry_failed


class Command(BaseCommand):
    help = "Retry failed check-ins whose upload was kept (all of them, or the ids given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Check-in ids (default: all failed).")
        parser.add_argument(
            "--list",
            dest="only_list",
            action="store_true",
            help="Only list failed check-ins and their reasons.",
        )

    def handle(self, *args: Any, ids: list[int], only_list: bool, **options: Any) -> None:
        if only_list:
            failed = CheckIn.objects.filter(status=CheckIn.Status.FAILED).order_by("created_at")
            for checkin in failed:
                kept = "upload kept" if checkin.image or checkin.audio else "no upload"
                self.stdout.write(f"{checkin.pk}\t{kept}\t{checkin.failure_reason}")
            return
        count = checkins_retry_failed(checkin_ids=ids or None)
        self.stdout.write(f"Re-queued {count} failed check-in(s).")
