"""Receivers of other apps' signals and hooks (connected in ``AlertsConfig.ready``)."""

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import User
from outbox.services import outbox_add

from .services.acknowledgement import alerts_erase_for_user, alerts_export_for_user

EVALUATE_PERSON_TASK = "alerts.tasks.evaluate_alerts_after_checkin"
EVALUATE_TEAMS_TASK = "alerts.tasks.evaluate_team_alerts"


def evaluate_after_metrics_changed(
    sender: object, *, user_id: int, on_date: dt.date, **kwargs: Any
) -> None:
    """A person's daily metrics changed: re-evaluate them (and their team) asynchronously."""
    outbox_add(EVALUATE_PERSON_TASK, user_id, on_date.isoformat())


def erase_alerts_of(sender: object, *, user: User, **kwargs: Any) -> dict[str, int]:
    """The person's individual alerts go with the data they were raised from."""
    return {"alerts": alerts_erase_for_user(user=user)}


def export_alerts_of(sender: object, *, user: User, **kwargs: Any) -> dict[str, list[dict]]:
    """The person's own alerts, for their data export (team alerts are not theirs)."""
    return {"alerts": alerts_export_for_user(user=user)}


def evaluate_after_publication(sender: object, *, team_ids: list[int], **kwargs: Any) -> None:
    """New published days can raise or clear team alerts: evaluate those teams now."""
    if not team_ids:
        return
    outbox_add(EVALUATE_TEAMS_TASK, team_ids, timezone.localdate().isoformat())
