from celery import shared_task

from .services import outbox_relay


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    """Send what waits in the outbox: Celery beat's fallback for the ``relay_outbox`` process."""
    return outbox_relay()
