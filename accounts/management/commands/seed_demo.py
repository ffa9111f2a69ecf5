"""Create the demo organisation; later steps add metrics to it.

Idempotent: running it again keeps existing users and passwords.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.demo import seed_demo_organisation
from alerts.services import alerts_evaluate
from metrics.demo import seed_demo_history
from teams.publication import team_days_publish


class Command(BaseCommand):
    help = "Create demo teams, managers and employees (and their history) for the demo."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="Days of history to generate.")
        parser.add_argument("--seed", type=int, default=7, help="Random seed for the history.")

    def handle(self, *args, days: int, seed: int, **options):
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
        individual = alerts_evaluate(on_date=timezone.localdate(), team_ids=[], notify=False)
        published = team_days_publish(announce=False)
        self.stdout.write(
            f"Published {published.published} team-days ({published.suppressed} suppressed: "
            "too few people)."
        )
        # Alerts as of today, so the demo shows them; no emails for the seeded backlog.
        alerts = alerts_evaluate(on_date=timezone.localdate(), notify=False)
        self.stdout.write(
            f"Alerts: {individual['individual']['created']} individual and "
            f"{alerts['team']['created']} team alerts raised."
        )
