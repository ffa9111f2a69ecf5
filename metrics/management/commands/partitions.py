"""``manage.py partitions``: the monthly partitions of the daily metrics and the published
team periods on PostgreSQL (``resonance.partitions``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from resonance import partitions


def _month(raw: str) -> dt.date:
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"{raw!r} is not a month (YYYY-MM).") from None


class Command(BaseCommand):
    help = (
        "List the monthly partitions of the daily metrics and the published team periods "
        "(PostgreSQL), create them ahead or for a range of months, or detach old months of "
        "the daily metrics (each stays a plain table to archive or drop)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=None,
            help=f"create this month's and the next N months' partitions "
            f"(default {settings.DAILY_METRIC_PARTITIONS_AHEAD} with --create)",
        )
        parser.add_argument("--create", action="store_true", help="create partitions ahead")
        parser.add_argument("--from", dest="first", type=_month, help="first month, YYYY-MM")
        parser.add_argument("--to", dest="last", type=_month, help="last month, YYYY-MM")
        parser.add_argument(
            "--detach-before", type=_month, help="detach months that end before YYYY-MM"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not partitions.is_partitioned():
            self.stdout.write("The tables are not partitioned here (not PostgreSQL).")
            return
        created: list[str] = []
        if options["first"] or options["last"]:
            if not (options["first"] and options["last"]):
                raise CommandError("Give both --from and --to.")
            last = partitions.next_month(options["last"]) - dt.timedelta(days=1)
            created += partitions.ensure_months(options["first"], last)
        if options["create"] or options["ahead"] is not None:
            ahead = options["ahead"]
            created += partitions.ensure_ahead(
                today=timezone.localdate(),
                months=settings.DAILY_METRIC_PARTITIONS_AHEAD if ahead is None else ahead,
            )
        detached = (
            partitions.detach_before(options["detach_before"]) if options["detach_before"] else []
        )
        for name in created:
            self.stdout.write(f"created {name}")
        for name in detached:
            self.stdout.write(f"detached {name} (now a plain table: archive or drop it)")
        for table in partitions.TABLES:
            for partition in partitions.partitions(table):
                name, rows, bounds = partition["name"], partition["rows"], partition["bounds"]
                self.stdout.write(f"{name:<38} {rows:>12,} rows  {bounds}")
