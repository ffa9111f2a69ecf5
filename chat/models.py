from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedTextField


class SlackWorkspace(models.Model):
    """The organisation's Slack workspace: the bot token that sends direct messages.

    One deployment is one organisation, so at most one workspace is enabled at a time.
    """

    name = models.CharField(max_length=100, help_text="For admins only, e.g. 'Acme Slack'.")
    bot_token = EncryptedTextField(
        help_text="The app's Bot User OAuth Token (xoxb-…), with the scopes users:read, "
        "users:read.email, im:write and chat:write."
    )
    enabled = models.BooleanField(default=True)
    # Filled by "Test the connection" in admin (auth.test): which workspace the token is for.
    team_name = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enabled"],
                condition=models.Q(enabled=True),
                name="slackworkspace_one_enabled",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ChatRecipient(models.Model):
    """How one person is reached in chat, and what they want there.

    Created on first use; a person without a row gets the defaults (both kinds of message).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_recipient"
    )
    # The person's own opt-outs (My chat messages page).
    reminders_enabled = models.BooleanField(
        default=True, help_text="Daily check-in reminder in Slack or Teams."
    )
    alerts_enabled = models.BooleanField(
        default=True, help_text="Team alerts in Slack or Teams (managers)."
    )
    # Slack's id for the person, found by email address (users.lookupByEmail) and kept so each
    # message costs one lookup less; looked up again after SLACK_USER_CACHE_DAYS.
    slack_user_id = models.CharField(max_length=32, blank=True)
    slack_looked_up_at = models.DateTimeField(null=True, blank=True)
    # When Slack last said no account has the person's email address: Slack messages to them
    # pause for SLACK_USER_CACHE_DAYS instead of failing every day.
    slack_not_found_at = models.DateTimeField(null=True, blank=True)
    teams_webhook_url = EncryptedTextField(
        null=True,
        blank=True,
        help_text="A Microsoft Teams Workflows webhook URL that posts to this person's chat "
        "with the Resonance flow (see docs/chat.md). Empty: no Teams messages.",
    )

    def __str__(self) -> str:
        return f"chat settings of user {self.user_id}"


class ChatDelivery(models.Model):
    """One message to one person on one destination, and what became of it.

    ``key`` names the message (kind, destination, person, day or alert), so the same message
    is never queued twice; the status moves pending → sending → sent (or retrying, failed).
    """

    class Destination(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Check-in reminder"
        TEAM_ALERT = "team_alert", "Team alert"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Waiting to retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    destination = models.CharField(max_length=16, choices=Destination.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_deliveries"
    )
    # The message as it is sent (text and blocks): no person's figures ever go in it.
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "chat deliveries"
        indexes = [
            models.Index(fields=["destination", "-updated_at"], name="chatdelivery_dest_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} via {self.get_destination_display()}: {self.status}"
