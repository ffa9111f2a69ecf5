"""Checks a web process or worker makes before it serves anything (after Django is set up)."""

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.urls import get_resolver

from metrics.services.indicator_purge import inactive_values_remain
from resonance import indicators
from teams.publication import published_inactive_values_remain

logger = logging.getLogger(__name__)


def require_collected_static() -> None:
    """With the manifest storage every page names its static files through the manifest that
    ``collectstatic`` writes; without it every page would answer 500. Refuse to start instead."""
    if not settings.IS_PRODUCTION:
        return
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.is_file():
        raise ImproperlyConfigured(
            f"Static files are not collected ({manifest} is missing): run "
            "`python manage.py collectstatic --noinput` before starting the web server."
        )


def load_every_view() -> None:
    """Import the URL configuration, and with it every view and what they use (DRF, the
    sign-in providers' libraries, the calendar and chat clients), before the first request.
    Django loads it on a process's first request otherwise: ~0.2 s that the first people to
    reach each new worker would wait, with everyone queued behind them."""
    get_resolver().url_patterns  # noqa: B018 (the import is the point)


def inactive_indicator_values_remain() -> bool:
    """Whether any row or upload holds what the active signal profile does not compute."""
    return inactive_values_remain() or published_inactive_values_remain()


def require_lawful_stored_data() -> None:
    """Under a profile that leaves indicators out (``SIGNAL_PROFILE=eu``: voice stress), a
    database that still holds their values must be purged first: hiding them would keep data
    that the person's own export no longer shows. Refuse to start instead.

    A database that cannot be read (not migrated yet, not reachable) holds nothing to serve:
    the check is skipped with a warning, and the first request or task reports the database.
    """
    if not indicators.inactive():
        return
    try:
        found = inactive_indicator_values_remain()
    except DatabaseError as exc:
        logger.warning("Could not check for data the signal profile leaves out: %s", exc)
        return
    if found:
        left_out = ", ".join(i.key for i in indicators.inactive())
        raise ImproperlyConfigured(
            f"SIGNAL_PROFILE={indicators.profile()} leaves out {left_out}, but the database "
            "still holds such data. Run "
            "`python manage.py purge_inactive_indicators --dry-run` to see them, then without "
            "--dry-run to erase them, before starting the web server or workers."
        )
