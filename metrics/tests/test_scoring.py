"""Scoring a check-in: claim, models, FlowScore, DailyMetric, media, failures, sweep, retry."""

import datetime as dt
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from alerts.handlers import EVALUATE_PERSON_TASK
from metrics.flowscore import flow_score
from metrics.models import CheckIn, DailyMetric
from metrics.services import housekeeping, scoring, submission
from metrics.tasks import score_checkin, sweep_stuck_checkins
from outbox.selectors import outbox_queued
from resonance import indicators

from .media import audio_upload, image_upload


def _queued_scorings() -> list[list[int]]:
    return outbox_queued(submission.SCORE_TASK)


pytestmark = pytest.mark.django_db


def _components(row) -> dict:
    """A check-in's or day's FlowScore components, as the registry names them."""
    return {key: getattr(row, key) for key in indicators.component_keys()}


def _media_paths(checkin: CheckIn) -> list[Path]:
    return [Path(f.path) for f in (checkin.image, checkin.audio) if f]


def _snapshot():
    checkins = list(
        CheckIn.objects.order_by("pk").values(
            "pk", "status", "fatigue", "stress", "burnout", "flow_score", "model_versions"
        )
    )
    metrics = list(
        DailyMetric.objects.order_by("pk").values(
            "pk", "date", "fatigue", "stress", "burnout", "flow_score", "checkin_count"
        )
    )
    return checkins, metrics


def test_it_scores_a_checkin_and_writes_the_day(
    tiny_models, employee, django_capture_on_commit_callbacks
):
    checkin = submission.checkin_submit(
        user=employee, image=image_upload(), audio=audio_upload(), hours_worked=9, meeting_count=4
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert score_checkin.run(checkin.pk) == "done"
    checkin.refresh_from_db()
    assert checkin.status == "done"
    assert checkin.attempts == 1
    assert checkin.scored_at is not None
    assert checkin.failure_reason == ""
    components = {"fatigue": checkin.fatigue, "stress": checkin.stress, "burnout": checkin.burnout}
    assert all(0 <= v <= 1 for v in components.values())
    assert checkin.flow_score == flow_score(_components(checkin), indicators.flow_weights())
    day = DailyMetric.objects.get(user=employee)
    assert day.date == checkin.local_date
    assert day.team == employee.team
    assert day.checkin_count == 1
    assert day.meeting_count == 4
    assert day.flow_score == checkin.flow_score
    assert day.coach_message


def test_burnout_uses_the_self_report_and_profile(tiny_models, employee):
    # Tiny burnout model: 0.09*mental_fatigue + 0.02*resource_allocation + 0.05*designation
    # - 0.05*wfh_available. Employee: designation 2, WFH yes; hours 14 -> clamped to 10.
    checkin = submission.checkin_submit(
        user=employee, image=image_upload(), hours_worked=14, mental_fatigue=5
    )
    score_checkin.run(checkin.pk)
    checkin.refresh_from_db()
    assert checkin.burnout == pytest.approx(0.09 * 5 + 0.02 * 10 + 0.05 * 2 - 0.05, abs=1e-4)


def test_burnout_falls_back_to_the_models_mental_fatigue(tiny_models, employee):
    checkin = submission.checkin_submit(user=employee, image=image_upload(), audio=audio_upload())
    score_checkin.run(checkin.pk)
    checkin.refresh_from_db()
    mental = 10 * (checkin.fatigue + checkin.stress) / 2
    # No hours reported: resource allocation missing (counts as 0 in the tiny model).
    expected = min(1.0, max(0.0, 0.09 * mental + 0.05 * 2 - 0.05))
    assert checkin.burnout == pytest.approx(expected, abs=1e-3)


def test_running_the_task_twice_leaves_the_same_rows(
    tiny_models, employee, django_capture_on_commit_callbacks
):
    checkin = submission.checkin_submit(user=employee, image=image_upload(), audio=audio_upload())
    with django_capture_on_commit_callbacks(execute=True):
        assert score_checkin.run(checkin.pk) == "done"
    first = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        assert score_checkin.run(checkin.pk) == "skipped"
    assert _snapshot() == first
    # Recomputing the day from its check-ins is idempotent as well.
    scoring.daily_metric_recompute(user=employee, on_date=checkin.local_date)
    scoring.daily_metric_recompute(user=employee, on_date=checkin.local_date)
    assert _snapshot() == first
    assert CheckIn.objects.get().attempts == 1


def test_two_checkins_on_a_day_average_their_components(tiny_models, employee):
    first = submission.checkin_submit(user=employee, image=image_upload(), mental_fatigue=2)
    second = submission.checkin_submit(user=employee, audio=audio_upload(), mental_fatigue=8)
    score_checkin.run(first.pk)
    score_checkin.run(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    day = DailyMetric.objects.get(user=employee)
    assert day.checkin_count == 2
    assert day.fatigue == pytest.approx(first.fatigue)  # only the first had an image
    assert day.stress == pytest.approx(second.stress)  # only the second had audio
    assert day.burnout == pytest.approx((first.burnout + second.burnout) / 2)
    assert day.flow_score == flow_score(_components(day), indicators.flow_weights())


def test_the_day_is_the_users_local_day(tiny_models, employee):
    employee.time_zone = "Pacific/Kiritimati"  # UTC+14
    employee.save()
    moment = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    with mock.patch("metrics.services.submission.timezone.now", return_value=moment):
        checkin = submission.checkin_submit(user=employee, image=image_upload())
    assert checkin.local_date == dt.date(2026, 11, 26)
    score_checkin.run(checkin.pk)
    assert DailyMetric.objects.get(user=employee).date == dt.date(2026, 11, 26)


def test_media_is_deleted_after_scoring(tiny_models, employee, django_capture_on_commit_callbacks):
    checkin = submission.checkin_submit(user=employee, image=image_upload(), audio=audio_upload())
    paths = _media_paths(checkin)
    assert len(paths) == 2 and all(p.exists() for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        score_checkin.run(checkin.pk)
    checkin.refresh_from_db()
    assert not checkin.image and not checkin.audio
    assert not any(p.exists() for p in paths)


def test_media_is_kept_when_retention_is_configured(
    tiny_models, employee, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_RETENTION_DAYS = 7
    checkin = submission.checkin_submit(user=employee, image=image_upload())
    with django_capture_on_commit_callbacks(execute=True):
        score_checkin.run(checkin.pk)
    checkin.refresh_from_db()
    assert checkin.image and Path(checkin.image.path).exists()
    # purge_media deletes it once it is older than the retention.
    call_command("purge_media")
    assert Path(checkin.image.path).exists()
    CheckIn.objects.filter(pk=checkin.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    call_command("purge_media")
    assert not Path(checkin.image.path).exists()
    checkin.refresh_from_db()
    assert not checkin.image


def test_alert_evaluation_is_triggered_after_commit(
    tiny_models, employee, django_capture_on_commit_callbacks
):
    checkin = submission.checkin_submit(user=employee, image=image_upload())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        score_checkin.run(checkin.pk)
    assert outbox_queued(EVALUATE_PERSON_TASK) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert outbox_queued(EVALUATE_PERSON_TASK) == [[employee.pk, checkin.local_date.isoformat()]]


def test_a_missing_model_fails_with_a_reason_and_keeps_the_upload(tiny_models, employee):
    from inference.models import ModelVersion

    ModelVersion.objects.filter(kind="voice").update(is_active=False)
    checkin = submission.checkin_submit(user=employee, image=image_upload(), audio=audio_upload())
    assert score_checkin.run(checkin.pk) == "failed"
    checkin.refresh_from_db()
    assert checkin.status == "failed"
    assert "voice" in checkin.failure_reason
    assert all(p.exists() for p in _media_paths(checkin))
    assert not DailyMetric.objects.exists()
    assert checkin.fatigue is None  # nothing half-written


def test_a_missing_speech_detector_fails_the_checkin_with_a_reason(
    tiny_models, employee, settings, tmp_path
):
    from inference import vad

    checkin = submission.checkin_submit(user=employee, audio=audio_upload())
    settings.VAD_MODEL_PATH = tmp_path / "silero_vad.onnx"  # gone after the upload was checked
    vad.reset()

    assert score_checkin.run(checkin.pk) == "failed"
    checkin.refresh_from_db()
    assert "Speech detection is unavailable" in checkin.failure_reason
    assert checkin.stress is None and not DailyMetric.objects.exists()
    assert all(p.exists() for p in _media_paths(checkin))


def test_retry_checkins_scores_a_failed_checkin_once_fixed(
    tiny_models, employee, django_capture_on_commit_callbacks
):
    from inference.models import ModelVersion

    ModelVersion.objects.filter(kind="voice").update(is_active=False)
    checkin = submission.checkin_submit(user=employee, audio=audio_upload())
    score_checkin.run(checkin.pk)
    ModelVersion.objects.filter(kind="voice").update(is_active=True)
    from inference import runtime

    runtime.reset()
    queued_before = _queued_scorings()
    call_command("retry_checkins")
    assert _queued_scorings() == [*queued_before, [checkin.pk]]
    checkin.refresh_from_db()
    assert checkin.status == "pending" and checkin.failure_reason == ""
    assert score_checkin.run(checkin.pk) == "done"
    assert DailyMetric.objects.filter(user=employee).count() == 1


def test_a_withdrawn_consent_fails_the_checkin_and_deletes_the_media(tiny_models, employee):
    checkin = submission.checkin_submit(user=employee, image=image_upload())
    paths = _media_paths(checkin)
    employee.biometric_consent_at = None
    employee.save()
    assert score_checkin.run(checkin.pk) == "failed"
    checkin.refresh_from_db()
    assert "Consent" in checkin.failure_reason
    assert not checkin.image and not any(p.exists() for p in paths)


def test_an_unexpected_error_fails_readably(tiny_models, employee):
    checkin = submission.checkin_submit(user=employee, image=image_upload())
    with mock.patch("inference.services.score_image", side_effect=RuntimeError("boom")):
        assert score_checkin.run(checkin.pk) == "failed"
    checkin.refresh_from_db()
    assert "RuntimeError" in checkin.failure_reason
    assert checkin.image


def test_a_transient_db_error_releases_the_claim_and_retries(tiny_models, employee):
    checkin = submission.checkin_submit(user=employee, image=image_upload())
    with (
        mock.patch(
            "metrics.services.scoring.checkin_complete",
            side_effect=OperationalError("server closed"),
        ),
        pytest.raises(OperationalError),
    ):
        scoring.checkin_score(checkin_id=checkin.pk)
    checkin.refresh_from_db()
    assert checkin.status == "pending" and checkin.claimed_at is None
    assert score_checkin.run(checkin.pk) == "done"
    assert OperationalError in score_checkin.autoretry_for
    assert score_checkin.retry_jitter is True


def test_the_task_settings_protect_against_lost_work(settings):
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility
    assert score_checkin.soft_time_limit < score_checkin.time_limit
    assert score_checkin.time_limit == settings.CHECKIN_SCORING_TIME_LIMIT
    # A dead worker's claim becomes reclaimable before the broker redelivers the message, and
    # the sweep (every 30 s) hands it to another worker within 2 minutes of the claim.
    lease = settings.CHECKIN_SCORING_TIME_LIMIT + scoring.CLAIM_GRACE_SECONDS
    assert visibility > lease
    sweep_every = settings.CELERY_BEAT_SCHEDULE["sweep-stuck-checkins"]["schedule"]
    assert lease + sweep_every.total_seconds() < 120


def test_a_claim_is_won_only_once(tiny_models, submitted_checkin):
    first = scoring.checkin_claim(checkin_id=submitted_checkin.pk)
    assert first is not None and first.status == "processing"
    assert scoring.checkin_claim(checkin_id=submitted_checkin.pk) is None


def test_a_stale_processing_claim_is_reclaimable_and_the_old_worker_loses(
    tiny_models, submitted_checkin, settings
):
    dead = scoring.checkin_claim(checkin_id=submitted_checkin.pk)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CHECKIN_SCORING_TIME_LIMIT + 60)
    CheckIn.objects.filter(pk=dead.pk).update(claimed_at=long_ago)
    dead.claimed_at = long_ago
    assert scoring.checkin_score(checkin_id=submitted_checkin.pk) == "done"
    # The old worker wakes up: its writes are refused because it no longer holds the claim.
    assert (
        scoring.checkin_complete(checkin=dead, scores=scoring.Scores(values={"burnout": 0.123456}))
        is False
    )
    assert scoring.checkin_fail(checkin=dead, reason="late") is False
    assert CheckIn.objects.get().status == "done"
    assert CheckIn.objects.get().burnout != 0.123456


def test_the_sweep_reenqueues_stuck_pending_checkins(tiny_models, employee, settings):
    fresh = submission.checkin_submit(user=employee, image=image_upload())
    stuck = submission.checkin_submit(user=employee, image=image_upload())
    old = timezone.now() - dt.timedelta(seconds=settings.CHECKIN_PENDING_SWEEP_SECONDS + 5)
    CheckIn.objects.filter(pk=stuck.pk).update(created_at=old, updated_at=old)
    queued_before = _queued_scorings()
    result = sweep_stuck_checkins.run()
    assert _queued_scorings() == [*queued_before, [stuck.pk]]
    assert result == {"reclaimed": 0, "pending": 1, "enqueued": 1}
    assert CheckIn.objects.get(pk=fresh.pk).status == "pending"
    # Re-sent once per period, not by every sweep while it waits in a backlog.
    assert sweep_stuck_checkins.run()["pending"] == 0
    assert _queued_scorings() == [*queued_before, [stuck.pk]]


def test_the_sweep_reclaims_checkins_of_dead_workers(tiny_models, submitted_checkin, settings):
    scoring.checkin_claim(checkin_id=submitted_checkin.pk)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CHECKIN_SCORING_TIME_LIMIT + 60)
    CheckIn.objects.filter(pk=submitted_checkin.pk).update(claimed_at=long_ago, updated_at=long_ago)
    queued_before = _queued_scorings()
    result = housekeeping.checkins_sweep_stuck()
    assert result["reclaimed"] == 1
    assert _queued_scorings() == [*queued_before, [submitted_checkin.pk]]
    assert CheckIn.objects.get().status == "pending"
    assert score_checkin.run(submitted_checkin.pk) == "done"


def test_the_submit_queues_score_checkin_with_the_id_in_its_transaction(tiny_models, employee):
    checkin = submission.checkin_submit(user=employee, image=image_upload())
    assert _queued_scorings() == [[checkin.pk]]


def test_a_failed_submit_queues_nothing(tiny_models, employee):
    with (
        mock.patch.object(CheckIn, "save", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        submission.checkin_submit(user=employee, image=image_upload())
    assert _queued_scorings() == []


def test_without_a_broker_the_outbox_drains_on_commit(
    tiny_models, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checkin = submission.checkin_submit(user=employee, image=image_upload())
    assert CheckIn.objects.get(pk=checkin.pk).status == "done"
    assert _queued_scorings() == []


def test_a_connection_lost_right_after_the_claim_gives_the_claim_back(
    tiny_models, submitted_checkin
):
    """The claim is taken, then reading the row fails (the database dropped the connection):
    the check-in goes back to pending at once, for the task's retry, instead of staying
    "processing" until the claim goes stale."""
    from django.db import OperationalError

    real = CheckIn.objects.select_related

    def fails_once(*fields):
        CheckIn.objects.select_related = real  # type: ignore[method-assign]
        raise OperationalError("server closed the connection unexpectedly")

    CheckIn.objects.select_related = fails_once  # type: ignore[method-assign]
    try:
        with pytest.raises(OperationalError):
            scoring.checkin_score(checkin_id=submitted_checkin.pk)
    finally:
        CheckIn.objects.select_related = real  # type: ignore[method-assign]

    row = CheckIn.objects.get(pk=submitted_checkin.pk)
    assert (row.status, row.claimed_at) == ("pending", None)
    assert scoring.checkin_score(checkin_id=submitted_checkin.pk) == "done"
