import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from resonance import indicators


# Random names: nothing about the person or the original file name leaks into storage.
def image_upload_path(instance: "CheckIn", filename: str) -> str:
    return f"checkins/image/{uuid.uuid4().hex}"


def audio_upload_path(instance: "CheckIn", filename: str) -> str:
    return f"checkins/audio/{uuid.uuid4().hex}"


# What a person reported and what the models made of it, as the active profile allows: the
# fields that the API, the personal export and the pages show (resonance/indicators.py).
def self_report_fields() -> tuple[str, ...]:
    return indicators.self_report_keys()


def score_fields() -> tuple[str, ...]:
    return indicators.score_keys()


def daily_metric_fields() -> tuple[str, ...]:
    """What a person's day shows: the same everywhere a daily metric is shown or exported."""
    return ("date", *score_fields(), "checkin_count", "meeting_count", "coach_message")


class CheckIn(models.Model):
    """One upload and its processing state."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        SERVER = "server", "Scored on the server"
        DEVICE = "device", "Scored on the employee's device"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # "device": the browser scored the media and sent only the scores (private mode).
    source = models.CharField(
        max_length=8, choices=Source.choices, default=Source.SERVER, db_index=True
    )
    image = models.FileField(upload_to=image_upload_path, blank=True, max_length=200)
    audio = models.FileField(upload_to=audio_upload_path, blank=True, max_length=200)

    # Optional self-report.
    hours_worked = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(24)]
    )
    sleep_hours = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(24)]
    )
    meeting_count = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(50)]
    )
    mental_fatigue = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )

    # One column per score declared in resonance/indicators.py (components in [0, 1], the
    # FlowScore in [0, 100]); a score the active profile leaves out stays null.
    fatigue = models.FloatField(null=True, blank=True)
    stress = models.FloatField(null=True, blank=True)
    burnout = models.FloatField(null=True, blank=True)
    flow_score = models.FloatField(null=True, blank=True)
    # What a burst of frames showed (frames, frames refused, eye-closure fraction, yawn
    # fraction, blinks, longest closure); null for a single photo.
    burst = models.JSONField(null=True, blank=True)
    # The client's Idempotency-Key (or the page form's hidden key): the same key from the same
    # person within IDEMPOTENCY_WINDOW returns this check-in instead of storing another.
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    # {"fatigue": "<version>", ...} of the models that produced the scores.
    model_versions = models.JSONField(default=dict, blank=True)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    scored_at = models.DateTimeField(null=True, blank=True)
    # The day this check-in counts for, in the user's time zone at submission.
    local_date = models.DateField(null=True, blank=True)
    # When a worker claimed it; a claim older than the hard time limit belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="checkin_user_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="checkin_user_created"),
            models.Index(fields=["user", "local_date"], name="checkin_user_local_date"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk} by {self.user_id} ({self.status})"


class DailyMetric(models.Model):
    """One row per user per day (the day in the user's time zone)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_metrics"
    )
    # Denormalised from the user at scoring time so team aggregates are one indexed GROUP BY.
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField()
    fatigue = models.FloatField(null=True, blank=True)
    stress = models.FloatField(null=True, blank=True)
    burnout = models.FloatField(null=True, blank=True)
    flow_score = models.FloatField(null=True, blank=True)
    checkin_count = models.PositiveSmallIntegerField(default=0)
    meeting_count = models.PositiveSmallIntegerField(null=True, blank=True)
    coach_message = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="dailymetric_user_date")
        ]
        indexes = [
            models.Index(fields=["team", "date"], name="dailymetric_team_date"),
            # The alert rules read a window of days for everyone at once.
            models.Index(fields=["date"], name="dailymetric_date"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}: {self.flow_score}"
