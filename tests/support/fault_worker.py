"""Celery app for fault tests: the real app, with scoring slowed down on request.

Started as ``celery -A tests.support.fault_worker worker`` by the fault tests only. Two
environment variables, set by those tests and nowhere else, change its behaviour:

``FAULT_SCORING_DELAY``  seconds to wait after claiming a check-in, before the models run,
                         so a test can kill the worker or its database connection mid-task;
                         the check-in id is written to ``FAULT_MARKER_DIR`` when the wait starts.
``FAULT_TIME_LIMIT``     the hard time limit (and no claim grace), so a claim left by a killed
                         worker goes stale in seconds instead of minutes; unacknowledged
                         messages are then looked for every second.
"""

import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")
django.setup()

from django.conf import settings  # noqa: E402

from metrics.services import scoring  # noqa: E402
from resonance.celery import app  # noqa: E402

__all__ = ["app"]

_delay = float(os.environ.get("FAULT_SCORING_DELAY", "0"))
_markers = Path(os.environ.get("FAULT_MARKER_DIR", "."))
_run_models = scoring.checkin_run_models


def _slow_run_models(*, checkin):
    (_markers / f"scoring-{checkin.pk}").write_text(str(os.getpid()))
    time.sleep(_delay)
    return _run_models(checkin=checkin)


if _delay:
    scoring.checkin_run_models = _slow_run_models

if "FAULT_TIME_LIMIT" in os.environ:
    # Scaled down together: visibility timeout > time limit + grace, as in production.
    settings.CHECKIN_SCORING_TIME_LIMIT = int(os.environ["FAULT_TIME_LIMIT"])
    scoring.CLAIM_GRACE_SECONDS = 0
    from metrics.tasks import score_checkin

    score_checkin.soft_time_limit = None
    score_checkin.time_limit = settings.CHECKIN_SCORING_TIME_LIMIT
    # Look for messages whose visibility timeout ran out every second, not every ~100 s.
    app.conf.broker_transport_options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
