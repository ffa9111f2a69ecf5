"""Writes for check-ins and daily metrics: submit, claim, score, fail, sweep, retry, erase."""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from alerts.services import alerts_erase_for_user
from resonance.exceptions import DomainError

from .errors import (
    CONSENT_MESSAGE,
    EMPLOYEES_ONLY_MESSAGE,
    ConsentRequired,
    NotAnEmployee,
    UploadTooLarge,
)
from .features import burnout_features
from .flowscore import coach_message, flow_score, mean_or_none
from .models import CheckIn, DailyMetric
from .uploads import too_large_message

logger = logging.getLogger(__name__)

# Database hiccups worth retrying; everything else is a permanent failure of that check-in.
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# A processing claim older than the hard time limit plus this belongs to a worker that died.
CLAIM_GRACE_SECONDS = 30
FAILURE_REASON_MAX = 500


def local_date_for(user: User, moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` in the user's own time zone."""
    try:
        zone = ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return timezone.localtime(moment, zone).date()


def _delete_media_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not delete media file %s", name, exc_info=True)


def _media_names(checkin: CheckIn) -> list[str]:
    return [name for name in (checkin.image.name, checkin.audio.name) if name]


# --- Submit ---------------------------------------------------------------------------------


def checkin_enqueue(checkin_id: int) -> bool:
    """Send ``score_checkin`` to the broker; False (and a warning) when the broker is down.

    A check-in that could not be enqueued stays ``pending`` and the periodic sweep sends it
    again, so a broker outage never loses an accepted check-in.
    """
    from .tasks import score_checkin

    try:
        score_checkin.apply_async(
            (checkin_id,),
            retry=True,
            retry_policy={
                "max_retries": 2,
                "interval_start": 0,
                "interval_step": 0.5,
                "interval_max": 1,
            },
        )
    except Exception:  # any broker/transport error; the sweep is the safety net
        logger.warning(
            "Could not enqueue check-in %s; the sweep will retry", checkin_id, exc_info=True
        )
        return False
    return True


def _check_upload(upload: UploadedFile, *, kind: str) -> None:
    from inference import services as inference

    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise UploadTooLarge(too_large_message(settings.MAX_UPLOAD_BYTES))
    if upload.size == 0:
        raise DomainError(f"The {kind} file is empty.")
    upload.seek(0)
    if kind == "image":
        inference.validate_image_upload(upload)
    else:
        inference.validate_audio_upload(upload)
    upload.seek(0)


def checkin_photo_check(*, image: UploadedFile) -> None:
    """Run the upload checks and the photo gate on ``image`` without storing anything.

    The check-in page calls this right after "Take photo", so the person learns at once
    whether to retake it. Raises ``UploadTooLarge`` (413), ``InvalidMedia`` (400/415, with
    the retake message) or ``ModelUnavailable``; returns None when the photo would be accepted.
    The bytes are read in memory and dropped: nothing is written, no row, no file.
    """
    _check_upload(image, kind="image")


def checkin_submit(
    *,
    user: User,
    image: UploadedFile | None = None,
    audio: UploadedFile | None = None,
    hours_worked: float | None = None,
    sleep_hours: float | None = None,
    meeting_count: int | None = None,
    mental_fatigue: float | None = None,
) -> CheckIn:
    """Store an upload as a ``pending`` check-in and enqueue its scoring after commit.

    Preconditions: ``user`` is an employee with recorded consent; at least one of ``image`` and
    ``audio``; each file within ``MAX_UPLOAD_BYTES`` and decodable as its kind (checked by
    decoding, not by name or declared type). Raises ``ConsentRequired`` (403),
    ``UploadTooLarge`` (413), ``InvalidMedia`` (400/415) or ``DomainError`` (400).
    Side effects: writes the files under random names and the row in one transaction; if the
    transaction fails the files are removed again.
    """
    if not user.is_employee:
        raise NotAnEmployee(EMPLOYEES_ONLY_MESSAGE)
    if not user.has_consented:
        raise ConsentRequired(CONSENT_MESSAGE)
    if image is None and audio is None:
        raise DomainError("Send a face image, a voice clip, or both.", code="no_media")
    if image is not None:
        _check_upload(image, kind="image")
    if audio is not None:
        _check_upload(audio, kind="audio")

    now = timezone.now()
    checkin = CheckIn(
        user=user,
        local_date=local_date_for(user, now),
        hours_worked=hours_worked,
        sleep_hours=sleep_hours,
        meeting_count=meeting_count,
        mental_fatigue=mental_fatigue,
    )
    if image is not None:
        checkin.image = image
    if audio is not None:
        checkin.audio = audio
    try:
        with transaction.atomic():
            checkin.save()
            transaction.on_commit(partial(checkin_enqueue, checkin.pk))
    except BaseException:
        _delete_media_files(_media_names(checkin))
        raise
    return checkin


# --- Claim, score, fail ------------------------------------------------------------------------


def _stale_claim_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + CLAIM_GRACE_SECONDS)


def checkin_claim(*, checkin_id: int) -> CheckIn | None:
    """Atomically move a check-in to ``processing`` for this worker; None if someone else has it.

    One conditional UPDATE: ``pending`` (or ``processing`` whose claim outlived the hard time
    limit, i.e. its worker died) → ``processing``. Two workers can never both win.
    """
    now = timezone.now()
    claimable = Q(status=CheckIn.Status.PENDING) | Q(
        status=CheckIn.Status.PROCESSING, claimed_at__lt=_stale_claim_cutoff(now)
    )
    won = CheckIn.objects.filter(claimable, pk=checkin_id).update(
        status=CheckIn.Status.PROCESSING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not won:
        return None
    return CheckIn.objects.select_related("user").get(pk=checkin_id)


def _owned(checkin: CheckIn):
    """Rows of this check-in still held by this claim (a reclaimed row is not ours any more)."""
    return CheckIn.objects.filter(
        pk=checkin.pk, status=CheckIn.Status.PROCESSING, claimed_at=checkin.claimed_at
    )


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
        _delete_media_files(_media_names(checkin))
    return bool(updated)


@dataclass
class Scores:
    fatigue: float | None = None
    stress: float | None = None
    burnout: float | None = None
    model_versions: dict[str, str] = field(default_factory=dict)


def checkin_run_models(*, checkin: CheckIn) -> Scores:
    """Run the active models on a check-in's media and profile (no database writes).

    Raises ``InvalidMedia``/``ModelUnavailable`` (permanent) or ``FileNotFoundError``.
    """
    from inference import services as inference

    scores = Scores()
    if checkin.image:
        result = inference.score_image(checkin.image.path)
        scores.fatigue = result.score
        scores.model_versions["fatigue"] = result.model_version
    if checkin.audio:
        result = inference.score_audio(checkin.audio.path)
        scores.stress = result.score
        scores.model_versions["voice"] = result.model_version
    user = checkin.user
    result = burnout_score_for(
        user=user,
        on_date=checkin.local_date or local_date_for(user, checkin.created_at),
        hours_worked=checkin.hours_worked,
        mental_fatigue=checkin.mental_fatigue,
        fatigue=scores.fatigue,
        stress=scores.stress,
    )
    scores.burnout = result.score
    scores.model_versions["burnout"] = result.model_version
    return scores


def burnout_score_for(
    *,
    user: User,
    on_date: dt.date,
    hours_worked: float | None,
    mental_fatigue: float | None,
    fatigue: float | None,
    stress: float | None,
):
    """The burnout model's score from the profile, the self-report and the component scores
    (for check-ins scored by a worker and for those scored on the device alike)."""
    from inference import services as inference

    features = burnout_features(
        on_date=on_date,
        company_joined_on=user.company_joined_on,
        designation=user.designation,
        company_type=user.company_type,
        wfh_available=user.wfh_available,
        hours_worked=hours_worked,
        mental_fatigue=mental_fatigue,
        fatigue=fatigue,
        stress=stress,
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
    rows = list(
        CheckIn.objects.filter(user=user, local_date=on_date, status=CheckIn.Status.DONE)
        .order_by("created_at")
        .values_list("fatigue", "stress", "burnout", "meeting_count")
    )
    if not rows:
        DailyMetric.objects.filter(user=user, date=on_date).delete()
        return None
    components = {
        name: mean_or_none(row[index] for row in rows)
        for index, name in enumerate(("fatigue", "stress", "burnout"))
    }
    meetings = [row[3] for row in rows if row[3] is not None]
    score = flow_score(components, settings.FLOW_WEIGHTS)
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
    components = {"fatigue": scores.fatigue, "stress": scores.stress, "burnout": scores.burnout}
    on_date = checkin.local_date or local_date_for(user, checkin.created_at)
    # The conditional UPDATE both checks that the claim is still ours and takes the row lock.
    updated = _owned(checkin).update(
        **components,
        flow_score=flow_score(components, settings.FLOW_WEIGHTS),
        model_versions=scores.model_versions,
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
        partial(_after_scoring, checkin.pk, _media_names(checkin), user.pk, on_date)
    )
    return True


def _after_scoring(checkin_id: int, media: list[str], user_id: int, on_date: dt.date) -> None:
    if settings.MEDIA_RETENTION_DAYS == 0 and media:
        # Files first: a crash in between leaves a stale name that purge_media clears, never
        # an unreferenced file that nothing would find again.
        _delete_media_files(media)
        CheckIn.objects.filter(pk=checkin_id).update(image="", audio="")
    trigger_alert_evaluation(user_id=user_id, on_date=on_date)


def trigger_alert_evaluation(*, user_id: int, on_date: dt.date) -> None:
    """Ask the alerts app to re-evaluate this user and their team (asynchronously)."""
    try:
        from alerts.tasks import evaluate_alerts_after_checkin
    except ImportError:
        logger.info("Alert evaluation is not installed; skipped for user %s", user_id)
        return
    try:
        evaluate_alerts_after_checkin.delay(user_id, on_date.isoformat())
    except Exception:  # broker down: the daily evaluation catches up, scoring stays done
        logger.warning("Could not enqueue alert evaluation for user %s", user_id, exc_info=True)


def checkin_delete_media(*, checkin_id: int) -> int:
    """Delete a check-in's raw image/audio and clear the references; returns files deleted."""
    checkin = CheckIn.objects.filter(pk=checkin_id).only("image", "audio").first()
    if checkin is None:
        return 0
    names = _media_names(checkin)
    if not names:
        return 0
    _delete_media_files(names)
    CheckIn.objects.filter(pk=checkin_id).update(image="", audio="")
    return len(names)


def checkin_score(*, checkin_id: int) -> str:
    """Score one check-in end to end; returns ``done``, ``failed`` or ``skipped``.

    Idempotent: a check-in that is already done/failed, or claimed by a live worker, is
    skipped. Transient database errors release the claim and propagate so the task retries;
    invalid media, a missing model or any unexpected error fail the check-in with a readable
    reason and keep the upload so ``manage.py retry_checkins`` can try again.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    from inference.errors import InvalidMedia, ModelUnavailable

    checkin = checkin_claim(checkin_id=checkin_id)
    if checkin is None:
        return "skipped"
    if not checkin.user.has_consented:
        checkin_fail(
            checkin=checkin,
            reason="Consent was withdrawn before scoring; the upload was deleted.",
            delete_media=True,
        )
        return "failed"
    try:
        scores = checkin_run_models(checkin=checkin)
        completed = checkin_complete(checkin=checkin, scores=scores)
    except TRANSIENT_DB_ERRORS:
        if not connection.in_atomic_block:
            # A dropped connection (database restart) stays broken: reconnect to release.
            connection.close_if_unusable_or_obsolete()
        try:
            checkin_release(checkin=checkin)
        except DatabaseError:
            logger.warning("Could not release check-in %s; the sweep will", checkin_id)
        raise
    except (InvalidMedia, ModelUnavailable) as exc:
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


# --- Sweep, retry, purge -----------------------------------------------------------------------


def checkins_sweep_stuck(*, limit: int = 500) -> dict[str, int]:
    """Re-enqueue check-ins stuck in ``pending`` (never reached a worker) and reclaim those
    stuck in ``processing`` longer than the hard time limit (their worker died).

    Harmless when repeated: the worker's conditional claim drops duplicates.
    """
    now = timezone.now()
    pending_cutoff = now - dt.timedelta(seconds=settings.CHECKIN_PENDING_SWEEP_SECONDS)
    dead = CheckIn.objects.filter(
        status=CheckIn.Status.PROCESSING, claimed_at__lt=_stale_claim_cutoff(now)
    )
    reclaimed: list[int] = []
    for pk in list(dead.values_list("pk", flat=True)[:limit]):
        if dead.filter(pk=pk).update(
            status=CheckIn.Status.PENDING, claimed_at=None, updated_at=now
        ):
            reclaimed.append(pk)
    # updated_at moves on every release/retry, so a freshly re-queued check-in is left alone.
    stuck = list(
        CheckIn.objects.filter(status=CheckIn.Status.PENDING, updated_at__lt=pending_cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    # Touch what is re-sent so a long backlog is not re-sent by every sweep.
    CheckIn.objects.filter(pk__in=stuck, status=CheckIn.Status.PENDING).update(updated_at=now)
    enqueued = sum(1 for pk in [*reclaimed, *stuck] if checkin_enqueue(pk))
    return {"reclaimed": len(reclaimed), "pending": len(stuck), "enqueued": enqueued}


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
            transaction.on_commit(partial(checkin_enqueue, pk))
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


# --- Data rights --------------------------------------------------------------------------------


def my_data_erase(*, user: User) -> dict[str, int]:
    """Delete every check-in (with its media), daily metric and individual alert of ``user``.

    The account itself stays (it belongs to the organisation); nothing measured about the
    person is kept. Published team aggregates stay as published: they are anonymous, noised
    statistics of whole teams, and rewriting them would reveal the erased numbers by
    difference. After commit the media files are deleted and alert evaluation runs for the
    user, so their alerts built on the erased data resolve.
    """
    checkins = CheckIn.objects.filter(user=user)
    names = [n for pair in checkins.values_list("image", "audio") for n in pair if n]
    with transaction.atomic():
        deleted_checkins, _ = checkins.delete()
        deleted_metrics, _ = DailyMetric.objects.filter(user=user).delete()
        deleted_alerts = alerts_erase_for_user(user=user)
        transaction.on_commit(partial(_delete_media_files, names))
        # With the metrics gone, re-evaluation resolves the person's open alerts.
        transaction.on_commit(
            partial(trigger_alert_evaluation, user_id=user.pk, on_date=timezone.localdate())
        )
    return {
        "checkins": deleted_checkins,
        "daily_metrics": deleted_metrics,
        "alerts": deleted_alerts,
        "files": len(names),
    }
