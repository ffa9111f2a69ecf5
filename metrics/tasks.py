"""Celery tasks of check-ins: thin wrappers that take ids and call services."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from . import services

logger = logging.getLogger(__name__)

# Only errors that may go away on their own are retried; the service turns the rest into a
# failed check-in with a readable reason.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerOperationalError, ConnectionError)


@shared_task(
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=6,
)
def score_checkin(checkin_id: int) -> str:
    """Score check-in ``checkin_id``: models, FlowScore, DailyMetric, media deletion, alerts.

    Safe to run twice or concurrently: the service claims the row with a conditional UPDATE and
    skips it if it is already done, failed or held by a live worker. Runs with the global
    ``acks_late``/``reject_on_worker_lost`` settings, so a killed worker's message is delivered
    again; the soft/hard time limits stay below the broker's visibility timeout.
    """
    return services.checkin_score(checkin_id=checkin_id)


@shared_task(ignore_result=True)
def sweep_stuck_checkins() -> dict[str, int]:
    """Re-enqueue pending check-ins that never reached a worker and reclaim those whose worker
    died in ``processing``. Periodic (Celery beat); harmless when repeated."""
    result = services.checkins_sweep_stuck()
    if result["pending"] or result["reclaimed"]:
        logger.info("Swept stuck check-ins: %s", result)
    return result
