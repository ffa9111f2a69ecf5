from django.conf import settings
from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PublishedTeamPeriod(models.Model):
    """One team over one closed period (a week or a month), as managers may see it: computed
    once, noised, frozen.

    Written only by ``teams.publication`` after the period has ended in every member's time
    zone (plus a grace period). Nothing updates a row afterwards: late check-ins, erasure and
    team moves leave it as published. Values are differentially private means (noise drawn
    once, at publication); counts and shares are kept as bands only, never exact. What each
    row cost each contributor is in ``PrivacySpend``. ``date`` is the period's first day.
    """

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        SUPPRESSED = "suppressed", "Suppressed (too few people)"
        BUDGET = "budget", "Withheld (privacy budget spent)"

    class Period(models.TextChoices):
        DAY = "day", "Day"  # rows published before weekly cells; kept, never written again
        WEEK = "week", "Week"
        MONTH = "month", "Month"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="published_periods")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.DAY)
    date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices)
    # Noised means; None where the metric is suppressed or not released for this period.
    flow_score = models.FloatField(null=True, blank=True)
    fatigue = models.FloatField(null=True, blank=True)
    stress = models.FloatField(null=True, blank=True)
    burnout = models.FloatField(null=True, blank=True)
    # Bands such as "5-9 people", "50-74%": the only form a count or a share is kept in.
    contributors_band = models.CharField(max_length=32)
    participation_band = models.CharField(max_length=32, blank=True)
    members_band = models.CharField(max_length=32, blank=True)
    at_risk_band = models.CharField(max_length=32, blank=True)
    # The noised share of contributors with an open individual alert: only team_at_risk reads it.
    at_risk_share = models.FloatField(null=True, blank=True)
    # The most epsilon this row cost any one person (a member of the roster or a contributor).
    epsilon_spent = models.FloatField(default=0.0)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["team", "period", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "period", "date"], name="publishedteamperiod_team_period_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.period} {self.date}: {self.status}"


class PrivacySpend(models.Model):
    """The privacy ledger: epsilon spent on one person in one calendar month, summed over
    every release their data went into (pure differential privacy composes by addition).

    One row per person and month; a release is charged to the month its period starts in.
    Kept when the person's data is erased or they move team: what was published about them
    stays published, so what it cost stays counted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_spend"
    )
    month = models.DateField(help_text="The first day of the month.")
    epsilon = models.FloatField(default=0.0)
    releases = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["user", "month"]
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="privacyspend_user_month")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.epsilon:g}"
