from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedCharField, EncryptedTextField


class CalendarConnection(models.Model):
    """One employee's connected calendar (opt-in); its address and credentials are encrypted."""

    class Kind(models.TextChoices):
        ICS = "ics", "ICS subscription URL"
        CALDAV = "caldav", "CalDAV account"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_connection"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A subscription URL often carries a secret token in its path: encrypted like a password.
    url = EncryptedTextField()
    # Encrypted fields store an empty value as NULL (ICS subscriptions have neither).
    username = EncryptedCharField(max_length=255, null=True, blank=True, default="")
    password = EncryptedTextField(null=True, blank=True, default="")
    connected_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # The last sync's failure, readable by the employee; empty after a good sync.
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of user {self.user_id}"


class CalendarDay(models.Model):
    """The meeting load of one person's day (the day in their time zone), from their calendar.

    The columns are the ``day_figure`` indicators of ``resonance.indicators``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_days"
    )
    date = models.DateField()
    calendar_meeting_count = models.PositiveSmallIntegerField(default=0)
    meeting_hours = models.FloatField(default=0.0)
    after_hours_meeting_hours = models.FloatField(default=0.0)
    longest_focus_hours = models.FloatField(null=True, blank=True)
    back_to_back_meetings = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="calendarday_user_date")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}: {self.meeting_hours} h of meetings"
