from django.conf import settings
from django.db import models

from .guidance import guidance_for


class BurnoutAlert(models.Model):
    """An individual or team alert raised by a rule over a window of daily metrics.

    At most one *active* (open or acknowledged) alert exists per (target, rule); a later
    evaluation updates it in place and resolves it when the condition clears.
    """

    class Scope(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        TEAM = "team", "Team"

    class Rule(models.TextChoices):
        SUSTAINED_RISK = "sustained_risk", "Sustained burnout risk"
        LOW_FLOW = "low_flow", "Low FlowScore"
        DECLINE = "decline", "FlowScore decline"
        BELOW_USUAL = "below_usual", "Well below your usual"
        TEAM_LOW_FLOW = "team_low_flow", "Team low FlowScore"
        TEAM_DECLINE = "team_decline", "Team FlowScore decline"
        TEAM_AT_RISK = "team_at_risk", "Team members at risk"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)

    scope = models.CharField(max_length=16, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="burnout_alerts",
    )
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    rule = models.CharField(max_length=32, choices=Rule.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    # The aggregates that triggered the alert; for team alerts only team-level numbers.
    snapshot = models.JSONField(default=dict, blank=True)
    window_start = models.DateField()
    window_end = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Notification bookkeeping: at most one email per alert per day, again when it escalates.
    notified_on = models.DateField(null=True, blank=True)
    notified_severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="individual", user__isnull=False, team__isnull=True)
                    | models.Q(scope="team", team__isnull=False, user__isnull=True)
                ),
                name="burnoutalert_scope_target",
            ),
            models.UniqueConstraint(
                fields=["user", "rule"],
                condition=models.Q(status__in=["open", "acknowledged"], user__isnull=False),
                name="burnoutalert_one_active_per_user_rule",
            ),
            models.UniqueConstraint(
                fields=["team", "rule"],
                condition=models.Q(status__in=["open", "acknowledged"], team__isnull=False),
                name="burnoutalert_one_active_per_team_rule",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scope"], name="burnoutalert_status_scope"),
        ]

    def __str__(self) -> str:
        target = f"user {self.user_id}" if self.user_id else f"team {self.team_id}"
        return f"{self.get_rule_display()} ({self.severity}) for {target}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def guidance(self) -> str:
        """What the person who sees the alert can do about it."""
        return guidance_for(self.rule)


class CheckinReminder(models.Model):
    """One row per reminder sent, so the daily reminder goes out at most once per user per day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkin_reminders"
    )
    date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="checkinreminder_user_date")
        ]

    def __str__(self) -> str:
        return f"reminder to {self.user_id} on {self.date}"
