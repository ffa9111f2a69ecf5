import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")

app = Celery("resonance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_data_the_profile_leaves_out(**kwargs: Any) -> None:
    """A worker does not start while the database holds values the signal profile leaves out
    (see ``resonance.startup.require_lawful_stored_data``)."""
    from django.core.exceptions import ImproperlyConfigured

    from resonance.startup import require_lawful_stored_data  # needs the apps loaded

    try:
        require_lawful_stored_data()
    except ImproperlyConfigured as exc:
        logging.getLogger(__name__).critical("%s", exc)
        # Celery logs and swallows an Exception raised by a signal receiver; SystemExit stops.
        raise SystemExit(1) from exc
