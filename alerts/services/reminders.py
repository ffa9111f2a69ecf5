"""Check-in reminders: one email a day to employees who have not checked in yet."""

import datetime as dt

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.models import User
from alerts.models import CheckinReminder
from metrics.models import CheckIn, DailyMetric
from resonance import indicators

from .notifications import send_after_commit


def employees_due_checkin_reminder(*, on_date: dt.date) -> QuerySet[User]:
    """Active, consenting employees who have not checked in (nor submitted a check-in still
    being scored) on ``on_date``. Each channel adds its own opt-out and once-a-day record."""
    checked_in = DailyMetric.objects.filter(date=on_date).values("user_id")
    # A check-in still being scored counts: its DailyMetric row appears only after scoring.
    submitted = CheckIn.objects.filter(
        Q(local_date=on_date) | Q(local_date__isnull=True, created_at__date=on_date)
    ).values("user_id")
    return (
        User.objects.filter(
            role=User.Role.EMPLOYEE, is_active=True, biometric_consent_at__isnull=False
        )
        .exclude(pk__in=checked_in)
        .exclude(pk__in=submitted)
    )


def what_a_checkin_takes() -> str:
    """What the reminder says a check-in takes, by the signal profile (no voice under eu)."""
    return "a photo and a short voice clip" if indicators.needs_media("audio") else "a photo"


@transaction.atomic
def checkin_reminders_send(*, on_date: dt.date) -> int:
    """Email every active, consenting employee who has not checked in on ``on_date``.

    Skips users with ``email_reminders`` off or no email address, and users already reminded
    that day (a ``CheckinReminder`` row per user and day), so running it twice sends nothing
    new. Emails go out after commit. Returns the number of reminders queued.
    """
    reminded = CheckinReminder.objects.filter(date=on_date).values("user_id")
    users = list(
        employees_due_checkin_reminder(on_date=on_date)
        .filter(email_reminders=True)
        .exclude(email="")
        .exclude(pk__in=reminded)
    )
    if not users:
        return 0
    CheckinReminder.objects.bulk_create(
        [CheckinReminder(user=u, date=on_date) for u in users], ignore_conflicts=True
    )
    what = what_a_checkin_takes()
    messages = [
        EmailMessage(
            subject="[Resonance] Your daily check-in",
            body=(
                f"Hello {u.get_short_name() or u.get_username()},\n\n"
                f"You have not checked in today. Checking in ({what}) takes under a minute and "
                "keeps your trends (and your team's) up to date.\n\n"
                "You can turn these reminders off under Email preferences (/alerts/preferences/)."
            ),
            to=[u.email],
        )
        for u in users
    ]
    send_after_commit(messages, "reminder")
    return len(messages)
