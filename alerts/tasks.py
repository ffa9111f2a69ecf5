"""Celery tasks: thin wrappers that take ids/ISO dates and call the services.

All of them are safe to run twice: evaluation is idempotent and notifications are recorded
before they are sent, at most one per alert (or reminder) per day.
"""

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from resonance.retries import RETRY_TRANSIENT

from .services.evaluation import (
    alerts_evaluate,
    alerts_evaluate_for_teams,
    alerts_evaluate_for_user,
)
from .services.reminders import checkin_reminders_send

logger = logging.getLogger(__name__)


@shared_task(name="alerts.tasks.evaluate_alerts_after_checkin", **RETRY_TRANSIENT)
def evaluate_alerts_after_checkin(user_id: int, date_iso: str) -> dict[str, Any]:
    """Evaluate the individual rules of one user for ``date_iso``.

    Creates, updates or resolves that user's alerts only, and emails new or escalated ones.
    A user who no longer exists is ignored.
    """
    on_date = dt.date.fromisoformat(date_iso)
    return alerts_evaluate_for_user(user_id=user_id, on_date=on_date)


@shared_task(name="alerts.tasks.evaluate_team_alerts", **RETRY_TRANSIENT)
def evaluate_team_alerts(team_ids: list[int], date_iso: str) -> dict[str, Any]:
    """Evaluate the team rules of ``team_ids`` after new days were published for them."""
    on_date = dt.date.fromisoformat(date_iso)
    return alerts_evaluate_for_teams(team_ids=team_ids, on_date=on_date)


@shared_task(name="alerts.tasks.evaluate_all_alerts", **RETRY_TRANSIENT)
def evaluate_all_alerts(date_iso: str | None = None) -> dict[str, Any]:
    """Daily evaluation of every user and team (Celery beat); defaults to today's date."""
    on_date = dt.date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    result = alerts_evaluate(on_date=on_date)
    logger.info("Daily alert evaluation for %s: %s", on_date, result)
    return result


@shared_task(name="alerts.tasks.send_checkin_reminders", **RETRY_TRANSIENT)
def send_checkin_reminders(date_iso: str | None = None) -> dict[str, Any]:
    """Email employees who have not checked in today (opt-out respected, once per day)."""
    on_date = dt.date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    sent = checkin_reminders_send(on_date=on_date)
    return {"date": on_date.isoformat(), "sent": sent}
