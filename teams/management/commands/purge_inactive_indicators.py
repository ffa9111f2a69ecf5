"""``manage.py purge_inactive_indicators [--dry-run]``: erase what the profile does not compute."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from metrics.services.indicator_purge import inactive_values_purge, stored_inactive_values
from resonance import indicators
from teams.publication import published_inactive_values_count, published_inactive_values_purge


class Command(BaseCommand):
    help = (
        "Erase every stored value of an indicator the active SIGNAL_PROFILE leaves out (under "
        "'eu': voice stress) from check-ins, days and published team periods, recompute what was "
        "derived from them (FlowScore, burnout), and delete voice clips no indicator reads. "
        "--dry-run only counts. Web and workers refuse to start under a profile while such "
        "values remain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be erased; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        profile = indicators.profile()
        left_out = ", ".join(i.key for i in indicators.inactive()) or "nothing"
        counts = stored_inactive_values()
        published = published_inactive_values_count()
        self.stdout.write(f"Signal profile {profile!r} leaves out: {left_out}.")
        self.stdout.write(
            f"Check-ins with such values: {counts.checkins}; days: {counts.daily_metrics}; "
            f"published team periods: {published}; uploads no indicator reads: "
            f"{counts.media_files}."
        )
        for key, rows in counts.by_indicator.items():
            self.stdout.write(f"  {key}: {rows} stored values")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was changed.")
            return
        if not counts.total and not published:
            self.stdout.write("Nothing to erase.")
            return
        inactive_values_purge()
        erased_published = published_inactive_values_purge()
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased: {counts.checkins} check-ins, {counts.daily_metrics} days, "
                f"{erased_published} published team periods, {counts.media_files} uploads."
            )
        )
