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


class TeamDayStat(models.Model):
    """Per-team, per-day sums of DailyMetric: the rollup the dashboard reads for past days.

    Raw sums and counts, not suppressed: suppression happens when reading (selectors), so a
    change of MIN_GROUP_SIZE needs no rebuild. Never shown directly to anyone.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    contributors = models.PositiveIntegerField()
    n_flow_score = models.PositiveIntegerField()
    sum_flow_score = models.FloatField(null=True)
    n_fatigue = models.PositiveIntegerField()
    sum_fatigue = models.FloatField(null=True)
    n_stress = models.PositiveIntegerField()
    sum_stress = models.FloatField(null=True)
    n_burnout = models.PositiveIntegerField()
    sum_burnout = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="teamdaystat_team_date")
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.date}: {self.contributors} contributors"


class TeamDayStatBuild(models.Model):
    """A day whose TeamDayStat rows are complete for every team; deleting it marks it stale."""

    date = models.DateField(unique=True)
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.date} built {self.built_at:%Y-%m-%d %H:%M}"
