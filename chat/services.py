"""Queueing chat messages (reminders, team alerts) and sending one of them.

Queueing writes one ``ChatDelivery`` per person and destination, named by a key, together with
its task in the outbox, so a message is queued at most once and a task exists exactly when its
row does. Sending claims the row first (a conditional UPDATE), so a repeated or concurrent run
of the task never posts a message that was accepted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from alerts.models import BurnoutAlert
from alerts.services.notifications import alert_text
from alerts.services.reminders import employees_due_checkin_reminder, what_a_checkin_takes
from outbox.services import outbox_add
from resonance.exceptions import DomainError
from teams.models import Team

from .messages import ChatMessage, reminder_message, team_alert_message
from .models import ChatDelivery, ChatRecipient, SlackWorkspace
from .transport import (
    DeliveryError,
    slack_client,
    slack_connection_check,
    slack_direct_message,
    slack_user_id_by_email,
    teams_webhook_post,
)

logger = logging.getLogger(__name__)

DELIVER_TASK = "chat.tasks.deliver_chat_message"
Destination = ChatDelivery.Destination
Status = ChatDelivery.Status


def enabled_slack_workspace() -> SlackWorkspace | None:
    return SlackWorkspace.objects.filter(enabled=True).first()


def _destinations(
    user: User, recipient: ChatRecipient | None, slack: SlackWorkspace | None
) -> list[str]:
    found: list[str] = []
    if slack is not None and user.email and not _known_missing_from_slack(recipient):
        found.append(Destination.SLACK)
    if recipient is not None and recipient.teams_webhook_url:
        found.append(Destination.TEAMS)
    return found


def _known_missing_from_slack(recipient: ChatRecipient | None) -> bool:
    if recipient is None or recipient.slack_not_found_at is None:
        return False
    age = timezone.now() - recipient.slack_not_found_at
    return age < dt.timedelta(days=settings.SLACK_USER_CACHE_DAYS)


def _recipient_of(user: User) -> ChatRecipient | None:
    try:
        return user.chat_recipient
    except ChatRecipient.DoesNotExist:
        return None


def _queue(*, key: str, destination: str, kind: str, user: User, message: ChatMessage) -> bool:
    delivery, created = ChatDelivery.objects.get_or_create(
        key=key,
        defaults={
            "destination": destination,
            "kind": kind,
            "recipient": user,
            "payload": message.as_payload(),
        },
    )
    if created:
        outbox_add(DELIVER_TASK, delivery.pk)
    return created


def zones_by_local_date(*, now: dt.datetime, zones: list[str], from_hour: int) -> dict:
    """The time zones in which it is ``from_hour`` or later today, grouped by their local date
    (one moment is two dates around the world)."""
    found: dict[dt.date, list[str]] = defaultdict(list)
    for zone in zones:
        try:
            local = now.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            continue
        if local.hour >= from_hour:
            found[local.date()].append(zone)
    return dict(found)


@transaction.atomic
def chat_reminders_queue(*, now: dt.datetime | None = None) -> int:
    """Queue the day's check-in reminder in Slack and/or Teams for every employee due one
    (``alerts.services.reminders.employees_due_checkin_reminder``) for whom it is
    ``CHAT_REMINDER_HOUR`` or later in their own time zone, unless they turned chat reminders
    off. One per person, destination and local day: running it again queues nothing new.
    Returns how many messages were queued."""
    now = now or timezone.now()
    slack = enabled_slack_workspace()
    zones = list(
        User.objects.filter(role=User.Role.EMPLOYEE, is_active=True)
        .values_list("time_zone", flat=True)
        .distinct()
    )
    message = reminder_message(what=what_a_checkin_takes())
    queued = 0
    due_zones = zones_by_local_date(now=now, zones=zones, from_hour=settings.CHAT_REMINDER_HOUR)
    for on_date, day_zones in due_zones.items():
        users = (
            employees_due_checkin_reminder(on_date=on_date)
            .filter(time_zone__in=day_zones)
            .exclude(chat_recipient__reminders_enabled=False)
            .select_related("chat_recipient")
        )
        for user in users:
            for destination in _destinations(user, _recipient_of(user), slack):
                queued += _queue(
                    key=f"reminder:{destination}:{user.pk}:{on_date.isoformat()}",
                    destination=destination,
                    kind=ChatDelivery.Kind.REMINDER,
                    user=user,
                    message=message,
                )
    return queued


@transaction.atomic
def chat_team_alerts_queue(*, alert_ids: list[int]) -> int:
    """Queue a direct message about each team alert to each active manager of its team (and
    admins who manage it) on Slack and/or Teams, unless they turned chat alerts off. Nobody
    else: never the team's employees, never managers of other teams. The message is the
    alert's published wording (``alerts.services.notifications.alert_text``).

    Keyed by alert, day and severity, like the alert's email: once a day, again if it
    escalates. Returns how many messages were queued."""
    alerts = list(
        BurnoutAlert.objects.filter(
            pk__in=alert_ids, scope=BurnoutAlert.Scope.TEAM, status=BurnoutAlert.Status.OPEN
        ).select_related("team")
    )
    if not alerts:
        return 0
    slack = enabled_slack_workspace()
    managers: dict[int, list[User]] = defaultdict(list)
    links = (
        Team.managers.through.objects.filter(
            team_id__in={a.team_id for a in alerts},
            user__is_active=True,
            user__role__in=[User.Role.MANAGER, User.Role.ADMIN],
        )
        .exclude(user__chat_recipient__alerts_enabled=False)
        .select_related("user", "user__chat_recipient")
    )
    for link in links:
        managers[link.team_id].append(link.user)
    queued = 0
    today = timezone.localdate()
    for alert in alerts:
        message = team_alert_message(alert_text(alert))
        for manager in managers.get(alert.team_id or 0, []):
            for destination in _destinations(manager, _recipient_of(manager), slack):
                queued += _queue(
                    key=(
                        f"team_alert:{destination}:{manager.pk}:{alert.pk}:"
                        f"{(alert.notified_on or today).isoformat()}:{alert.severity}"
                    ),
                    destination=destination,
                    kind=ChatDelivery.Kind.TEAM_ALERT,
                    user=manager,
                    message=message,
                )
    return queued


# --- Sending one message -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str
    attempts: int = 0
    retry_in: float | None = None
    error: str = ""


def retry_delay(*, attempt: int, retry_after: float | None) -> float:
    """Seconds before the next try: exponential from ``CHAT_RETRY_BACKOFF`` (capped at
    ``CHAT_RETRY_BACKOFF_MAX``), or the destination's Retry-After when that is longer."""
    backoff = min(
        settings.CHAT_RETRY_BACKOFF * 2 ** max(attempt - 1, 0), settings.CHAT_RETRY_BACKOFF_MAX
    )
    return max(backoff, retry_after or 0.0)


def _claim(delivery_id: int) -> ChatDelivery | None:
    claimed = ChatDelivery.objects.filter(
        pk=delivery_id, status__in=[Status.PENDING, Status.RETRYING]
    ).update(status=Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        return None
    return ChatDelivery.objects.select_related("recipient").get(pk=delivery_id)


def chat_delivery_send(*, delivery_id: int) -> Outcome:
    """Send one queued message, recording what happened on its row.

    Claims the row (pending or retrying → sending) first: a message already sent, failed, or
    being sent by another run is left alone. Accepted → ``sent``. A failure that trying again
    may fix (rate limit, server error, refused connection) → ``retrying`` with the delay the
    caller should wait, until ``CHAT_MAX_RETRIES`` retries are spent; anything else →
    ``failed``, with the reason in words.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        current = ChatDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return Outcome(status=current.first() or "missing")
    try:
        message = ChatMessage.from_payload(delivery.payload)
        if delivery.destination == Destination.SLACK:
            _send_slack(delivery.recipient, message)
        else:
            _send_teams(delivery.recipient, message)
    except DeliveryError as exc:
        retries_left = delivery.attempts <= settings.CHAT_MAX_RETRIES
        if exc.retry and retries_left:
            delay = retry_delay(attempt=delivery.attempts, retry_after=exc.retry_after)
            _finish(delivery, Status.RETRYING, exc.message)
            return Outcome(Status.RETRYING, delivery.attempts, retry_in=delay, error=exc.message)
        error = exc.message if not exc.retry else f"{exc.message} Gave up after all retries."
        _finish(delivery, Status.FAILED, error)
        logger.warning("Chat delivery %s failed: %s", delivery.pk, error)
        return Outcome(Status.FAILED, delivery.attempts, error=error)
    except Exception as exc:
        # Not a destination's answer: a bug or the database. Shown in admin rather than left
        # "sending"; the traceback goes to the worker log.
        _finish(
            delivery,
            Status.FAILED,
            f"Unexpected error ({type(exc).__name__}); the worker log has the details.",
        )
        raise
    _finish(delivery, Status.SENT, "")
    return Outcome(Status.SENT, delivery.attempts)


def _finish(delivery: ChatDelivery, status: str, error: str) -> None:
    now = timezone.now()
    ChatDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
        status=status,
        last_error=error,
        updated_at=now,
        sent_at=now if status == Status.SENT else None,
    )


def _send_slack(user: User, message: ChatMessage) -> None:
    workspace = enabled_slack_workspace()
    if workspace is None:
        raise DeliveryError(
            "Slack is not connected: no enabled workspace under Admin → Slack workspaces.",
            retry=False,
        )
    if not user.email:
        raise DeliveryError("This person has no email address to find them in Slack.", retry=False)
    client = slack_client(_decrypted(workspace.bot_token, "Slack bot token"))
    recipient, _ = ChatRecipient.objects.get_or_create(user=user)
    fresh_after = timezone.now() - dt.timedelta(days=settings.SLACK_USER_CACHE_DAYS)
    if not recipient.slack_user_id or (
        recipient.slack_looked_up_at is None or recipient.slack_looked_up_at < fresh_after
    ):
        try:
            recipient.slack_user_id = slack_user_id_by_email(client, user.email)
        except DeliveryError as exc:
            if exc.person_unknown:
                _forget_slack_user(recipient, missing=True)
            raise
        recipient.slack_looked_up_at = timezone.now()
        recipient.slack_not_found_at = None
        recipient.save(update_fields=["slack_user_id", "slack_looked_up_at", "slack_not_found_at"])
    try:
        slack_direct_message(client, recipient.slack_user_id, message)
    except DeliveryError as exc:
        if exc.person_unknown:
            _forget_slack_user(recipient)
        raise


def _forget_slack_user(recipient: ChatRecipient, *, missing: bool = False) -> None:
    recipient.slack_user_id = ""
    recipient.slack_looked_up_at = None
    recipient.slack_not_found_at = timezone.now() if missing else None
    recipient.save(update_fields=["slack_user_id", "slack_looked_up_at", "slack_not_found_at"])


def _send_teams(user: User, message: ChatMessage) -> None:
    recipient = _recipient_of(user)
    if recipient is None or not recipient.teams_webhook_url:
        raise DeliveryError(
            "This person has no Teams webhook URL any more (removed in admin).", retry=False
        )
    teams_webhook_post(_decrypted(recipient.teams_webhook_url, "Teams webhook URL"), message)


# A Fernet token: what the encrypted field hands back when it cannot decrypt what it stored.
_FERNET_PREFIX = "gAAAAA"


def _decrypted(value: str, what: str) -> str:
    if value.startswith(_FERNET_PREFIX):
        raise DeliveryError(
            f"The stored {what} cannot be decrypted: SECRET_KEY or FIELD_ENCRYPTION_SALTS "
            "changed without the old key in SECRET_KEY_FALLBACKS. Enter it again in admin.",
            retry=False,
        )
    return value


# --- Settings people and admins change ---------------------------------------------------


@transaction.atomic
def chat_preferences_update(*, user: User, reminders_enabled: bool, alerts_enabled: bool) -> None:
    """Set whether ``user`` gets check-in reminders and team alerts in chat (own account)."""
    ChatRecipient.objects.update_or_create(
        user=user,
        defaults={"reminders_enabled": reminders_enabled, "alerts_enabled": alerts_enabled},
    )


def slack_workspace_check(*, workspace: SlackWorkspace) -> str:
    """Try the workspace's token (auth.test) and record which Slack workspace it belongs to.

    Raises ``DomainError`` with Slack's reason when the token does not work."""
    try:
        token = _decrypted(workspace.bot_token, "Slack bot token")
        team_name = slack_connection_check(slack_client(token))
    except DeliveryError as exc:
        raise DomainError(exc.message) from exc
    workspace.team_name = team_name
    workspace.checked_at = timezone.now()
    workspace.save(update_fields=["team_name", "checked_at"])
    return team_name


@transaction.atomic
def chat_data_erase(*, user: User) -> int:
    """Forget who was reminded when (it says on which days someone had not checked in); the
    person's chat settings stay, like their email preferences."""
    deleted, _ = ChatDelivery.objects.filter(
        recipient=user, kind=ChatDelivery.Kind.REMINDER
    ).delete()
    return deleted


@transaction.atomic
def chat_deliveries_retry(*, delivery_ids: list[int]) -> int:
    """Queue failed messages again (an admin's decision: one that failed mid-send may then
    arrive twice). Others are left alone. Returns how many were queued."""
    failed = list(
        ChatDelivery.objects.select_for_update()
        .filter(pk__in=delivery_ids, status=Status.FAILED)
        .values_list("pk", flat=True)
    )
    ChatDelivery.objects.filter(pk__in=failed).update(
        status=Status.PENDING, attempts=0, updated_at=timezone.now()
    )
    for pk in failed:
        outbox_add(DELIVER_TASK, pk)
    return len(failed)
