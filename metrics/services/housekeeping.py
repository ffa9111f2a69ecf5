"""Keeping check-ins moving and media short-lived: sweep stuck ones, retry failed ones, purge."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.models import CheckIn

from .media import checkin_delete_media
from .scoring import stale_claim_cutoff
from .submission import checkin_enqueue


def checkins_sweep_stuck(*, limit: int = 500) -> dict[str, int]:
    """Re-enqueue check-ins stuck in ``pending`` (never reached a worker) and reclaim those
    stuck in ``processing`` longer than the hard time limit (their worker died).

    Harmless when repeated: the worker's conditional claim drops duplicates.
    """
    now = timezone.now()
    pending_cutoff = now - dt.timedelta(seconds=settings.CHECKIN_PENDING_SWEEP_SECONDS)
    dead = CheckIn.objects.filter(
        status=CheckIn.Status.PROCESSING, claimed_at__lt=stale_claim_cutoff(now)
    )
    reclaimed: list[int] = []
    with transaction.atomic():
        for pk in list(dead.values_list("pk", flat=True)[:limit]):
            if dead.filter(pk=pk).update(
                status=CheckIn.Status.PENDING, claimed_at=None, updated_at=now
            ):
                reclaimed.append(pk)
                checkin_enqueue(pk)
        # updated_at moves on every release/retry, so a freshly re-queued check-in is left
        # alone; touching what is re-sent keeps a long backlog from being re-sent every sweep.
        stuck = list(
            CheckIn.objects.filter(status=CheckIn.Status.PENDING, updated_at__lt=pending_cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:limit]
        )
        CheckIn.objects.filter(pk__in=stuck, status=CheckIn.Status.PENDING).update(updated_at=now)
        for pk in stuck:
            checkin_enqueue(pk)
    return {
        "reclaimed": len(reclaimed),
        "pending": len(stuck),
        "enqueued": len(reclaimed) + len(stuck),
    }


def checkins_retry_failed(*, checkin_ids: list[int] | None = None) -> int:
    """Put failed check-ins that still have their upload back to ``pending`` and enqueue them."""
    failed = CheckIn.objects.filter(status=CheckIn.Status.FAILED).exclude(image="", audio="")
    if checkin_ids is not None:
        failed = failed.filter(pk__in=checkin_ids)
    ids = list(failed.values_list("pk", flat=True))
    with transaction.atomic():
        CheckIn.objects.filter(pk__in=ids, status=CheckIn.Status.FAILED).update(
            status=CheckIn.Status.PENDING,
            failure_reason="",
            claimed_at=None,
            updated_at=timezone.now(),
        )
        for pk in ids:
            checkin_enqueue(pk)
    return len(ids)


def checkin_media_purge(*, older_than_days: int) -> int:
    """Delete raw media of finished check-ins created more than ``older_than_days`` ago."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    finished = (
        CheckIn.objects.filter(
            status__in=[CheckIn.Status.DONE, CheckIn.Status.FAILED], created_at__lte=cutoff
        )
        .exclude(image="", audio="")
        .values_list("pk", flat=True)
    )
    return sum(checkin_delete_media(checkin_id=pk) for pk in list(finished))
