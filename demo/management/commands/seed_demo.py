"""Create the demo organisation; later steps add metrics to it.

Idempotent: running it again keeps existing users and passwords.
"""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from alerts.models import BurnoutAlert
from alerts.services.evaluation import alerts_evaluate
from demo.history import seed_demo_history
from demo.organisation import seed_demo_organisation
from teams.publication import team_periods_publish


class Command(BaseCommand):
    help = "Create demo teams, managers and employees (and their history) for the demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="Days of history to generate.")
        parser.add_argument("--seed", type=int, default=7, help="Random seed for the history.")

    def handle(self, *args: Any, days: int, seed: int, **options: Any) -> None:
        result = seed_demo_organisation(seed=seed)
        if result.created_credentials:
            self.stdout.write("Demo accounts (shown once; change them for anything but a demo):")
            for username, role, password in result.created_credentials:
                self.stdout.write(f"  {role:<9} {username:<12} {password}")
        else:
            self.stdout.write("Demo organisation already present; passwords unchanged.")
        for line in result.summary:
            self.stdout.write(line)
        for line in seed_demo_history(days=days, seed=seed):
            self.stdout.write(line)
        # Individual alerts first: publication releases the (noised) share of people at risk.
        started = timezone.now()
        individual = alerts_evaluate(on_date=timezone.localdate(), team_ids=[], notify=False)
        # The seeded history was never lived: date each new alert to the start of the window
        # that raised it, as if it had been raised then (publication counts an alert for a day
        # only if it was open at the end of that day).
        for alert in BurnoutAlert.objects.filter(created_at__gte=started, scope="individual"):
            alert.created_at = dt.datetime.combine(alert.window_start, dt.time(12), tzinfo=dt.UTC)
            alert.save(update_fields=["created_at"])
        published = team_periods_publish(announce=False)
        self.stdout.write(
            f"Published {published.published} team weeks and months ({published.suppressed} "
            f"suppressed: too few people; {published.withheld} withheld: privacy budget)."
        )
        # Alerts as of today, so the demo shows them; no emails for the seeded backlog.
        alerts = alerts_evaluate(on_date=timezone.localdate(), notify=False)
        self.stdout.write(
            f"Alerts: {individual['individual']['created']} individual and "
            f"{alerts['team']['created']} team alerts raised."
        )
