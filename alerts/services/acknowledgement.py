"""A manager's acknowledgement of a team alert, and a person's alerts erased on request."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from alerts.models import BurnoutAlert
from resonance.exceptions import DomainError
from teams.selectors import teams_visible_to


def alerts_erase_for_user(*, user: User) -> int:
    """Delete every individual alert of ``user`` (their data-erasure request).

    Team alerts stay: they hold team aggregates only. Returns the number deleted.
    """
    deleted, _ = BurnoutAlert.objects.filter(
        scope=BurnoutAlert.Scope.INDIVIDUAL, user=user
    ).delete()
    return deleted


def alerts_export_for_user(*, user: User) -> list[dict[str, Any]]:
    """Every individual alert of ``user``, oldest first, as plain values (their data export)."""
    return [
        dict(row)
        for row in BurnoutAlert.objects.filter(scope=BurnoutAlert.Scope.INDIVIDUAL, user=user)
        .order_by("created_at")
        .values(
            "id",
            "rule",
            "severity",
            "status",
            "message",
            "snapshot",
            "window_start",
            "window_end",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "notified_on",
        )
    ]


@transaction.atomic
def alert_acknowledge(*, alert: BurnoutAlert, user: User) -> BurnoutAlert:
    """Mark a team alert as acknowledged by one of the team's managers (or an admin).

    Raises DomainError 403 for individual alerts or users who do not manage the team, and
    409 for a resolved alert. Acknowledging twice keeps the first acknowledgement.
    """
    alert = BurnoutAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.scope != BurnoutAlert.Scope.TEAM or alert.team_id is None:
        raise DomainError("Only team alerts can be acknowledged.", status_code=403)
    if not teams_visible_to(user=user).filter(pk=alert.team_id).exists():
        raise DomainError("Only the team's managers can acknowledge this alert.", status_code=403)
    if alert.status == BurnoutAlert.Status.RESOLVED:
        raise DomainError("This alert is already resolved.", status_code=409, code="resolved")
    if alert.status == BurnoutAlert.Status.ACKNOWLEDGED:
        return alert
    now = timezone.now()
    alert.status = BurnoutAlert.Status.ACKNOWLEDGED
    alert.acknowledged_by = user
    alert.acknowledged_at = now
    alert.updated_at = now
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "updated_at"])
    return alert
