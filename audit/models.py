"""The access log: who looked at team aggregates or at a person's data, and when."""

from django.conf import settings
from django.db import models
from django.utils import timezone

DETAIL_MAX_LENGTH = 200


class AccessEvent(models.Model):
    """One look. Written only by ``audit.services.record_access``; never changed afterwards.

    ``actor_username`` is copied at write time so the row stays readable once the actor's
    account is gone. ``detail`` names what was looked at (a path, a metric, a period), never a
    health value.
    """

    class Action(models.TextChoices):
        DASHBOARD_VIEW = "dashboard_view", "Viewed a team dashboard"
        DASHBOARD_EXPORT = "dashboard_export", "Exported team figures"
        HEATMAP_API = "heatmap_api", "Read team figures through the API"
        ADMIN_VIEW_PERSON = "admin_view_person", "Opened a record about you in the admin"
        ADMIN_CHANGE_PERSON = "admin_change_person", "Changed a record about you in the admin"
        ADMIN_LIST_PERSON_DATA = "admin_list_person_data", "Listed people's records in the admin"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The person whose data was looked at; None for team aggregates and listings.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.CharField(max_length=DETAIL_MAX_LENGTH, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject", "-at"], name="accessevent_subject_at")]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.action} at {self.at:%Y-%m-%d %H:%M}"
