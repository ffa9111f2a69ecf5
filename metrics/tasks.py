"""Celery tasks of check-ins: thin wrappers that take ids and call services."""

import logging

from celery import shared_task
from django.conf import settings

from resonance.retries import RETRY_TRANSIENT

from .services.housekeeping import checkins_sweep_stuck
from .services.scoring import checkin_score

logger = logging.getLogger(__name__)


# Only errors that may go away on their own are retried; the service turns the rest into a
# failed check-in with a readable reason.
@shared_task(
    soft_time_limit=settings.CHECKIN_SCORING_SOFT_TIME_LIMIT,
    time_limit=settings.CHECKIN_SCORING_TIME_LIMIT,
    **RETRY_TRANSIENT,
)
def score_checkin(checkin_id: int) -> str:
    """Score check-in ``checkin_id``: models, FlowScore, DailyMetric, media deletion, alerts.

    Safe to run twice or concurrently: the service claims the row with a conditional UPDATE and
    skips it if it is already done, failed or held by a live worker. Runs with the global
    ``acks_late``/``reject_on_worker_lost`` settings, so a killed worker's message is delivered
    again; its own short time limits (``CHECKIN_SCORING_*``) stay below the broker's visibility
    timeout, and bound how long a dead worker's claim holds the check-in.
    """
    return checkin_score(checkin_id=checkin_id)


@shared_task(ignore_result=True)
def sweep_stuck_checkins() -> dict[str, int]:
    """Re-enqueue pending check-ins that never reached a worker and reclaim those whose worker
    died in ``processing``. Periodic (Celery beat); harmless when repeated."""
    result = checkins_sweep_stuck()
    if result["pending"] or result["reclaimed"]:
        logger.info("Swept stuck check-ins: %s", result)
    return result


@shared_task(ignore_result=True)
def maintain_partitions() -> dict[str, list[str]]:
    """PostgreSQL: daily metrics' monthly partitions created ahead, old ones detached."""
    from django.utils import timezone

    from resonance import partitions

    return partitions.maintain(
        today=timezone.localdate(),
        ahead=settings.DAILY_METRIC_PARTITIONS_AHEAD,
        retention_months=settings.DAILY_METRIC_RETENTION_MONTHS,
    )
