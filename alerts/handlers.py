"""Receivers of other apps' hooks (connected in ``AlertsConfig.ready``)."""

import logging

from django.utils import timezone

logger = logging.getLogger(__name__)


def evaluate_after_publication(sender, *, team_ids: list[int], **kwargs) -> None:
    """New published days can raise or clear team alerts: evaluate those teams now."""
    from .tasks import evaluate_team_alerts  # tasks import services, which import this app

    if not team_ids:
        return
    try:
        evaluate_team_alerts.delay(team_ids, timezone.localdate().isoformat())
    except Exception:  # broker down: the daily evaluation catches up, publication stays done
        logger.warning("Could not enqueue team alert evaluation", exc_info=True)
