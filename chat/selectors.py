"""Reads of chat delivery: which destinations are failing, for /healthz and admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User

from .models import ChatDelivery, ChatRecipient, SlackWorkspace

Status = ChatDelivery.Status

WHAT_TO_DO = {
    ChatDelivery.Destination.SLACK: (
        "Slack messages are failing: check the bot token and its scopes under Admin → Slack "
        "workspaces (Test the connection), and each person's email address; Admin → Chat "
        "deliveries says why each one failed."
    ),
    ChatDelivery.Destination.TEAMS: (
        "Microsoft Teams messages are failing: check the Teams webhook URLs under Admin → Chat "
        "recipients (a deleted or turned-off flow answers 404); Admin → Chat deliveries says "
        "why each one failed."
    ),
}


def failing_deliveries(*, now: dt.datetime | None = None) -> dict[str, list[ChatDelivery]]:
    """Per destination, the latest delivery of each (person, destination) within
    ``CHAT_HEALTH_WINDOW_HOURS`` when it failed, or has been sending for longer than a task may
    run (its worker died mid-send). A later success for the same person clears it."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=settings.CHAT_HEALTH_WINDOW_HOURS)
    stuck_before = now - dt.timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT)
    latest: dict[tuple[int, str], ChatDelivery] = {}
    recent = ChatDelivery.objects.filter(updated_at__gte=since).exclude(
        status__in=[Status.PENDING, Status.RETRYING]
    )
    for delivery in recent.order_by("updated_at").only(
        "recipient_id", "destination", "status", "last_error", "updated_at"
    ):
        latest[(delivery.recipient_id, delivery.destination)] = delivery
    failing: dict[str, list[ChatDelivery]] = {}
    for delivery in latest.values():
        stuck = delivery.status == Status.SENDING and delivery.updated_at < stuck_before
        if delivery.status == Status.FAILED or stuck:
            failing.setdefault(delivery.destination, []).append(delivery)
    return failing


def chat_health(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The /healthz entry: which destination kinds fail, in words; ``detail`` (admins only)
    adds how many people and the latest reason."""
    failing = failing_deliveries(now=now)
    if not failing:
        return {"ok": True}
    kinds = sorted(failing)
    detail = {
        kind: {
            "people": len(deliveries),
            "latest_error": max(deliveries, key=lambda d: d.updated_at).last_error
            or "Interrupted while sending; not sent again so it is not posted twice.",
        }
        for kind, deliveries in failing.items()
    }
    return {
        "ok": False,
        "failing": kinds,
        "error": " ".join(WHAT_TO_DO[ChatDelivery.Destination(kind)] for kind in kinds),
        "detail": detail,
    }


def chat_settings_for(user: User) -> dict[str, Any]:
    """What the person's own chat page shows: their choices and which destinations reach them
    (never the webhook URL itself)."""
    recipient = ChatRecipient.objects.filter(user=user).first()
    workspace = SlackWorkspace.objects.filter(enabled=True).first()
    return {
        "reminders_enabled": recipient.reminders_enabled if recipient else True,
        "alerts_enabled": recipient.alerts_enabled if recipient else True,
        "slack_connected": workspace is not None and bool(user.email),
        "slack_workspace": (workspace.team_name or workspace.name) if workspace else "",
        "teams_connected": bool(recipient and recipient.teams_webhook_url),
    }
