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


class PublishedTeamDay(models.Model):
    """One team on one closed day, as managers may see it: computed once, noised, frozen.

    Written only by ``teams.publication`` after the day has ended in every member's time
    zone (plus a grace period). Nothing updates a row afterwards: late check-ins, erasure and
    team moves leave it as published. Values are differentially private means (noise drawn
    once, at publication); counts and shares are kept as bands only, never exact.
    """

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        SUPPRESSED = "suppressed", "Suppressed (too few people)"
        BUDGET = "budget", "Withheld (privacy budget spent)"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="published_days")
    date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices)
    # Noised means; None where the metric is suppressed (fewer than MIN_GROUP_SIZE reported it).
    flow_score = models.FloatField(null=True, blank=True)
    fatigue = models.FloatField(null=True, blank=True)
    stress = models.FloatField(null=True, blank=True)
    burnout = models.FloatField(null=True, blank=True)
    # Bands such as "5-9 people", "50-74%": the only form a count or a share is kept in.
    contributors_band = models.CharField(max_length=32)
    participation_band = models.CharField(max_length=32, blank=True)
    at_risk_band = models.CharField(max_length=32, blank=True)
    # The noised share of contributors with an open individual alert: only team_at_risk reads it.
    at_risk_share = models.FloatField(null=True, blank=True)
    epsilon_per_value = models.FloatField(default=0.0)
    epsilon_spent = models.FloatField(default=0.0)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["team", "date"]
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="publishedteamday_team_date")
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.date}: {self.status}"
