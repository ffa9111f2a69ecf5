"""Celery tasks of calendars: thin wrappers that take ids and call services."""

import logging

from celery import shared_task

from resonance.retries import RETRY_TRANSIENT

from .models import CalendarConnection
from .services import calendar_sync

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, soft_time_limit=90, time_limit=120, **RETRY_TRANSIENT)
def sync_calendar(connection_id: int) -> bool:
    """Read one connected calendar into its last days' meeting load. A calendar that cannot be
    read is recorded on the connection, not raised; safe to run twice (days are overwritten).
    The fetch itself is bounded by ``CALENDAR_TOTAL_TIMEOUT``, well under these limits."""
    return calendar_sync(connection_id=connection_id)


@shared_task(ignore_result=True)
def sync_all_calendars() -> int:
    """Periodic (Celery beat, daily): one ``sync_calendar`` per connected calendar, so a slow
    or failing server holds up nobody else. Harmless when repeated."""
    ids = list(CalendarConnection.objects.order_by("pk").values_list("pk", flat=True))
    for connection_id in ids:
        sync_calendar.delay(connection_id)
    logger.info("Calendar sync queued for %d connected calendars", len(ids))
    return len(ids)
