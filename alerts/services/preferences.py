"""What a person wants to be emailed about."""

from django.db import transaction

from accounts.models import User


@transaction.atomic
def notification_preferences_update(
    *, user: User, email_alerts: bool, email_reminders: bool
) -> User:
    """Set whether ``user`` receives alert emails and daily check-in reminders (own account)."""
    user.email_alerts = email_alerts
    user.email_reminders = email_reminders
    user.save(update_fields=["email_alerts", "email_reminders"])
    return user
