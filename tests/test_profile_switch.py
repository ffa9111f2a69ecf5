"""Moving a deployment from ``standard`` to ``eu``: what was stored under ``standard`` blocks
start-up until ``purge_inactive_indicators`` has erased it (a dry run only counts)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import call_command

from metrics.flowscore import flow_score
from metrics.models import CheckIn, DailyMetric
from metrics.services import scoring, submission
from metrics.tests.media import audio_upload, image_upload
from resonance import indicators
from resonance.startup import require_lawful_stored_data
from teams.models import PublishedTeamPeriod
from teams.tests.helpers import DAY, add_day, add_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard_history(tiny_models, employee, team, settings):
    """Under ``standard``: a scored check-in with a kept voice clip (retention on), a demo day
    without check-ins and a published team-day, each holding voice stress."""
    settings.SIGNAL_PROFILE = "standard"
    settings.MEDIA_RETENTION_DAYS = 30
    checkin = submission.checkin_submit(user=employee, image=image_upload(), audio=audio_upload())
    assert scoring.checkin_score(checkin_id=checkin.pk) == "done"
    checkin.refresh_from_db()
    assert checkin.stress is not None and checkin.audio.name
    members = add_members(team, 5)
    add_day(members, DAY, fatigue=0.2, stress=0.9, burnout=0.4)
    PublishedTeamPeriod.objects.create(
        team=team,
        date=DAY,
        status=PublishedTeamPeriod.Status.PUBLISHED,
        flow_score=60.0,
        fatigue=0.2,
        stress=0.9,
        burnout=0.4,
        contributors_band="5-9 people",
        published_at=checkin.created_at,
    )
    return checkin


def test_stored_emotion_values_block_start_up_under_eu(standard_history, settings):
    require_lawful_stored_data()  # standard: nothing is left out
    settings.SIGNAL_PROFILE = "eu"
    with pytest.raises(ImproperlyConfigured, match="purge_inactive_indicators --dry-run"):
        require_lawful_stored_data()


def test_a_dry_run_counts_and_changes_nothing(standard_history, settings):
    settings.SIGNAL_PROFILE = "eu"
    out = io.StringIO()
    call_command("purge_inactive_indicators", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "leaves out: stress" in text
    assert "Check-ins with such values: 1; days: 6; published team periods: 1" in text
    assert "uploads no indicator reads: 1" in text
    assert "Dry run: nothing was changed." in text
    assert CheckIn.objects.filter(stress__isnull=False).count() == 1
    assert DailyMetric.objects.filter(stress__isnull=False).count() == 6
    assert PublishedTeamPeriod.objects.get().stress == 0.9


def test_the_purge_erases_recomputes_and_lets_the_deployment_start(standard_history, settings):
    checkin = standard_history
    audio_name = checkin.audio.name
    settings.SIGNAL_PROFILE = "eu"

    call_command("purge_inactive_indicators", stdout=io.StringIO())

    checkin.refresh_from_db()
    assert checkin.stress is None
    assert checkin.audio.name == "" and not default_storage.exists(audio_name)
    assert checkin.image.name  # retention keeps the photo: only unread media go
    assert "voice" not in checkin.model_versions
    # The burnout score read the erased value (no self-report): it is recomputed without it.
    expected_burnout = scoring.burnout_score_for(
        user=checkin.user,
        on_date=checkin.local_date,
        hours_worked=None,
        mental_fatigue=None,
        model_scores={"fatigue": checkin.fatigue},
    ).score
    assert checkin.burnout == pytest.approx(expected_burnout)
    components = {"fatigue": checkin.fatigue, "burnout": checkin.burnout}
    assert checkin.flow_score == flow_score(components, indicators.flow_weights())
    day = DailyMetric.objects.get(user=checkin.user)
    assert day.stress is None and day.flow_score == checkin.flow_score
    # A day without check-ins keeps its other components and gets a FlowScore without stress.
    demo_day = DailyMetric.objects.filter(date=DAY).first()
    assert demo_day is not None and demo_day.stress is None
    assert demo_day.fatigue == 0.2 and demo_day.burnout == 0.4
    remaining = {key: getattr(demo_day, key) for key in indicators.component_keys()}
    assert "stress" not in remaining
    assert demo_day.flow_score == flow_score(remaining, indicators.flow_weights())
    published = PublishedTeamPeriod.objects.get()
    assert published.stress is None and published.fatigue == 0.2

    require_lawful_stored_data()  # nothing left: starts
    out = io.StringIO()
    call_command("purge_inactive_indicators", stdout=out)
    assert "Nothing to erase." in out.getvalue()


def test_the_purge_changes_nothing_under_standard(standard_history):
    call_command("purge_inactive_indicators", stdout=io.StringIO())
    assert CheckIn.objects.filter(stress__isnull=False).count() == 1
    assert Path(default_storage.path(standard_history.audio.name)).exists()


@pytest.mark.integration
def test_a_real_worker_refuses_to_start_under_eu_while_emotion_values_remain(
    transactional_db, employee, tmp_path
):
    import os
    import subprocess

    from django.db import connection

    from bench.celery_worker import celery_worker_command

    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does).")
    CheckIn.objects.create(user=employee, status=CheckIn.Status.DONE, stress=0.7, fatigue=0.2)
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:"
        f"{s['PORT'] or 5432}/{s['NAME']}",
        # Never reached: the worker stops before it connects to a broker.
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        "RESONANCE_VAR_DIR": str(tmp_path / "var"),
        "SIGNAL_PROFILE": "eu",
    }
    worker = subprocess.run(
        celery_worker_command("resonance", "--concurrency=1"),
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode != 0
    assert "purge_inactive_indicators --dry-run" in worker.stdout + worker.stderr
