from django.conf import settings
from django.db import models

from .choices import LANGUAGES, REASONS, TONES

MEETING_TITLE_MAX = 120
ORGANIZER_NAME_MAX = 80


# What an author sees of a saved email (the API and their data export).
EXCUSE_FIELDS = (
    "id",
    "created_at",
    "meeting_title",
    "organizer_name",
    "meeting_time",
    "reason",
    "tone",
    "propose_alternative",
    "offer_async_update",
    "language",
    "seed",
    "subject",
    "body",
    "backend",
)


class ExcuseEmail(models.Model):
    """One generated email, kept so its author can find and reuse it.

    Bodies are private to the author: admins see counts only (see ``admin.py``).
    """

    class Backend(models.TextChoices):
        TEMPLATE = "template", "Sentence templates"
        LLM = "llm", "Language model"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="excuse_emails"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Inputs.
    meeting_title = models.CharField(max_length=MEETING_TITLE_MAX)
    organizer_name = models.CharField(max_length=ORGANIZER_NAME_MAX)
    meeting_time = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=32, choices=list(REASONS.items()))
    tone = models.CharField(max_length=16, choices=list(TONES.items()))
    propose_alternative = models.DateTimeField(null=True, blank=True)
    offer_async_update = models.BooleanField(default=True)
    language = models.CharField(max_length=8, choices=list(LANGUAGES.items()), default="en")
    # The template engine's seed, so an email can be reproduced exactly.
    seed = models.BigIntegerField()

    # Output.
    subject = models.CharField(max_length=200)
    body = models.TextField()
    backend = models.CharField(max_length=16, choices=Backend.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="excuse_user_created")]

    def __str__(self) -> str:
        return f"excuse {self.pk} ({self.reason}, {self.tone})"
