"""Checks a production web process makes before it serves anything."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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
