"""Scoring a check-in: claim it, run the models, store the scores and the day's metric.

A worker runs ``checkin_score`` for each check-in; a check-in scored on the device (private
mode) goes through ``checkin_complete`` too, so both store and announce the same way.
"""

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from inference import services as inference
from inference.errors import InvalidMedia, ModelUnavailable
from metrics.features import burnout_features
from metrics.flowscore import coach_message, flow_score, mean_or_none
from metrics.models import CheckIn, DailyMetric
from metrics.signals import daily_metrics_changed
from resonance import indicators

from .media import media_files_delete, media_names
from .submission import local_date_for

logger = logging.getLogger(__name__)

# Database hiccups worth retrying; everything else is a permanent failure of that check-in.
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# A processing claim older than the scoring task's hard time limit plus this belongs to a
# worker that died (the limit would have killed a live one already).
CLAIM_GRACE_SECONDS = 15
FAILURE_REASON_MAX = 500


def stale_claim_cutoff(now: dt.datetime) -> dt.datetime:
    """Claims taken before this belong to a worker that died (past the hard time limit)."""
    lease = settings.CHECKIN_SCORING_TIME_LIMIT + CLAIM_GRACE_SECONDS
    return now - dt.timedelta(seconds=lease)


def checkin_claim(*, checkin_id: int) -> CheckIn | None:
    """Atomically move a check-in to ``processing`` for this worker; None if someone else has it.

    One conditional UPDATE: ``pending`` (or ``processing`` whose claim outlived the hard time
    limit, i.e. its worker died) → ``processing``. Two workers can never both win.
    """
    now = timezone.now()
    claimable = Q(status=CheckIn.Status.PENDING) | Q(
        status=CheckIn.Status.PROCESSING, claimed_at__lt=stale_claim_cutoff(now)
    )
    won = CheckIn.objects.filter(claimable, pk=checkin_id).update(
        status=CheckIn.Status.PROCESSING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not won:
        return None
    try:
        return CheckIn.objects.select_related("user").get(pk=checkin_id)
    except TRANSIENT_DB_ERRORS:
        # The claim is taken but the row could not be read (the connection dropped): give it
        # back now rather than leave it "processing" until the claim goes stale.
        _release_after_error(checkin_id=checkin_id, claimed_at=now)
        raise


def _owned(checkin: CheckIn) -> QuerySet[CheckIn]:
    """Rows of this check-in still held by this claim (a reclaimed row is not ours any more)."""
    return CheckIn.objects.filter(
        pk=checkin.pk, status=CheckIn.Status.PROCESSING, claimed_at=checkin.claimed_at
    )


def _release_after_error(*, checkin_id: int, claimed_at: dt.datetime) -> None:
    """Best effort after a database error: reconnect if the connection is broken, then give
    the claim back; if that fails too, the sweep picks the check-in up once the claim is stale."""
    if not connection.in_atomic_block:
        # A dropped connection (database restart) stays broken: reconnect to release.
        connection.close_if_unusable_or_obsolete()
    try:
        CheckIn.objects.filter(
            pk=checkin_id, status=CheckIn.Status.PROCESSING, claimed_at=claimed_at
        ).update(status=CheckIn.Status.PENDING, claimed_at=None, updated_at=timezone.now())
    except DatabaseError:
        logger.warning("Could not release check-in %s; the sweep will", checkin_id)


def checkin_release(*, checkin: CheckIn) -> None:
    """Give a claim back (``pending``) after a transient error so a retry can claim it."""
    _owned(checkin).update(
        status=CheckIn.Status.PENDING, claimed_at=None, updated_at=timezone.now()
    )


def checkin_fail(*, checkin: CheckIn, reason: str, delete_media: bool = False) -> bool:
    """Mark a claimed check-in ``failed`` with a readable reason; the upload is kept for a retry
    unless ``delete_media``. Returns False when the claim was lost meanwhile."""
    updated = _owned(checkin).update(
        status=CheckIn.Status.FAILED,
        failure_reason=reason[:FAILURE_REASON_MAX],
        updated_at=timezone.now(),
        **({"image": "", "audio": ""} if delete_media else {}),
    )
    if updated and delete_media:
        media_files_delete(media_names(checkin))
    return bool(updated)


@dataclass
class Scores:
    """A check-in's component scores by indicator key (``resonance.indicators``), and the
    versions of the models that produced them by model kind."""

    values: dict[str, float | None] = field(default_factory=dict)
    model_versions: dict[str, str] = field(default_factory=dict)
    # The figures of a burst of frames (``inference.burst``), when the photo was one.
    burst: dict[str, float | int] | None = None


def checkin_run_models(*, checkin: CheckIn) -> Scores:
    """Run the active models on a check-in's media and profile (no database writes).

    Each active indicator that a worker scores from an upload is scored when the check-in
    carries that upload; an indicator the profile leaves out is never computed, even when a
    file is there. Raises ``InvalidMedia``/``ModelUnavailable`` (permanent) or
    ``FileNotFoundError``.
    """
    scores = Scores()
    for indicator in indicators.scores():
        if not (indicator.on_worker and indicator.media and indicator.model_kind):
            continue
        upload = getattr(checkin, indicator.media)
        if not upload:
            continue
        result = inference.score_media(indicator.model_kind, upload.path)
        scores.values[indicator.key] = result.score
        scores.model_versions[indicator.model_kind] = result.model_version
        scores.burst = result.burst or scores.burst
    scores.values.update(computed_scores(checkin))
    user = checkin.user
    result = burnout_score_for(
        user=user,
        on_date=checkin.local_date or local_date_for(user, checkin.created_at),
        hours_worked=checkin.hours_worked,
        mental_fatigue=checkin.mental_fatigue,
        model_scores=scores.values,
    )
    scores.values["burnout"] = result.score
    scores.model_versions["burnout"] = result.model_version
    return scores


def computed_scores(checkin: CheckIn) -> dict[str, float | None]:
    """The active scores computed from the check-in itself (an indicator's ``scorer``), for
    check-ins scored by a worker and on the device alike."""
    return {
        indicator.key: import_string(indicator.scorer)(checkin)
        for indicator in indicators.scores()
        if indicator.scorer
    }


def burnout_score_for(
    *,
    user: User,
    on_date: dt.date,
    hours_worked: float | None,
    mental_fatigue: float | None,
    model_scores: Mapping[str, float | None],
) -> inference.Score:
    """The burnout model's score from the profile, the self-report and today's scores of the
    models that read an upload (for check-ins scored by a worker and on the device alike)."""
    features = burnout_features(
        on_date=on_date,
        company_joined_on=user.company_joined_on,
        designation=user.designation,
        company_type=user.company_type,
        wfh_available=user.wfh_available,
        hours_worked=hours_worked,
        mental_fatigue=mental_fatigue,
        model_scores={
            key: value
            for key, value in model_scores.items()
            if indicators.is_active(key) and indicators.get(key).media
        },
    )
    return inference.score_burnout(features)


def daily_metric_recompute(*, user: User, on_date: dt.date) -> DailyMetric | None:
    """Rebuild the user's ``DailyMetric`` for ``on_date`` from that day's scored check-ins.

    Returns the row when it was created, None when an existing row was updated or the day has
    no scored check-in left (its row is then deleted).

    Several check-ins average their components; the FlowScore is computed from the averages.
    Recomputing from the source rows makes it safe to run any number of times. Call inside a
    transaction that holds the user's row lock (``checkin_complete`` does).
    """
    # A day holds a handful of check-ins: one read, averaged here, keeps this to two queries.
    names = indicators.component_keys()
    rows = list(
        CheckIn.objects.filter(user=user, local_date=on_date, status=CheckIn.Status.DONE)
        .order_by("created_at")
        .values_list(*names, "meeting_count")
    )
    if not rows:
        DailyMetric.objects.filter(user=user, date=on_date).delete()
        return None
    components = {
        name: mean_or_none(row[index] for row in rows) for index, name in enumerate(names)
    }
    meetings = [row[-1] for row in rows if row[-1] is not None]
    score = flow_score(components, indicators.flow_weights())
    values = {
        "team_id": user.team_id,
        **components,
        "flow_score": score,
        "checkin_count": len(rows),
        "meeting_count": meetings[-1] if meetings else None,
        "coach_message": coach_message(score),
    }
    if DailyMetric.objects.filter(user=user, date=on_date).update(
        **values, updated_at=timezone.now()
    ):
        return None
    metric = DailyMetric.objects.create(user=user, date=on_date, **values)
    return metric


@transaction.atomic
def checkin_complete(*, checkin: CheckIn, scores: Scores) -> bool:
    """Store the scores, mark ``done`` and upsert the day's metric, all in one transaction.

    Locks the user's row so two check-ins of the same person on the same day cannot race on
    the daily row. After commit: raw media deleted (unless retention is configured) and alert
    evaluation triggered for the user and team. Returns False when the claim was lost.
    """
    user = User.objects.select_for_update().get(pk=checkin.user_id)
    now = timezone.now()
    components = {key: scores.values.get(key) for key in indicators.component_keys()}
    on_date = checkin.local_date or local_date_for(user, checkin.created_at)
    # The conditional UPDATE both checks that the claim is still ours and takes the row lock.
    updated = _owned(checkin).update(
        **components,
        flow_score=flow_score(components, indicators.flow_weights()),
        model_versions=scores.model_versions,
        burst=scores.burst,
        status=CheckIn.Status.DONE,
        failure_reason="",
        scored_at=now,
        local_date=on_date,
        updated_at=now,
    )
    if not updated:
        return False
    daily_metric_recompute(user=user, on_date=on_date)
    transaction.on_commit(
        partial(_after_scoring, checkin.pk, media_names(checkin), user.pk, on_date)
    )
    return True


def _after_scoring(checkin_id: int, media: list[str], user_id: int, on_date: dt.date) -> None:
    if settings.MEDIA_RETENTION_DAYS == 0 and media:
        # Files first: a crash in between leaves a stale name that purge_media clears, never
        # an unreferenced file that nothing would find again.
        media_files_delete(media)
        CheckIn.objects.filter(pk=checkin_id).update(image="", audio="")
    daily_metrics_changed.send(sender=CheckIn, user_id=user_id, on_date=on_date)


def checkin_score(*, checkin_id: int) -> str:
    """Score one check-in end to end; returns ``done``, ``failed`` or ``skipped``.

    Idempotent: a check-in that is already done/failed, or claimed by a live worker, is
    skipped. Transient database errors release the claim and propagate so the task retries;
    a missing model or any unexpected error fail the check-in with a readable reason and keep
    the upload so ``manage.py retry_checkins`` can try again; media a gate refuses (no usable
    face, too little speech) or that does not decode fail it and are deleted at once.
    """
    checkin = checkin_claim(checkin_id=checkin_id)
    if checkin is None:
        return "skipped"
    try:
        if not checkin.user.has_consented:
            checkin_fail(
                checkin=checkin,
                reason="Consent was withdrawn before scoring; the upload was deleted.",
                delete_media=True,
            )
            return "failed"
        scores = checkin_run_models(checkin=checkin)
        completed = checkin_complete(checkin=checkin, scores=scores)
    except TRANSIENT_DB_ERRORS:
        assert checkin.claimed_at is not None
        _release_after_error(checkin_id=checkin.pk, claimed_at=checkin.claimed_at)
        raise
    except InvalidMedia as exc:
        # Refused by a gate (no usable face, too little speech) or undecodable: a retry would
        # refuse it again, so the biometric upload goes now; the person retakes it.
        checkin_fail(checkin=checkin, reason=exc.message, delete_media=True)
        return "failed"
    except ModelUnavailable as exc:
        checkin_fail(checkin=checkin, reason=exc.message)
        return "failed"
    except FileNotFoundError:
        checkin_fail(checkin=checkin, reason="The uploaded file is missing from storage.")
        return "failed"
    except SoftTimeLimitExceeded:
        checkin_fail(checkin=checkin, reason="Scoring took longer than the time limit.")
        return "failed"
    except Exception as exc:  # a bug must not leave the row in processing; keep the upload
        logger.exception("Scoring check-in %s failed", checkin_id)
        checkin_fail(
            checkin=checkin,
            reason=f"Unexpected error while scoring ({type(exc).__name__}); it can be retried.",
        )
        return "failed"
    return "done" if completed else "skipped"
