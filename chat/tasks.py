"""Celery tasks of chat delivery: thin wrappers over ``chat.services``.

One task per message (person and destination), so a destination that fails or waits on a rate
limit never holds up the others. Both tasks are safe to run twice.
"""

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from resonance.retries import RETRY_TRANSIENT

from .services import chat_delivery_send, chat_reminders_queue


@shared_task(name="chat.tasks.queue_chat_reminders", **RETRY_TRANSIENT)
def queue_chat_reminders() -> dict[str, Any]:
    """Hourly (Celery beat): queue the check-in reminders now due in each employee's time
    zone. A person already reminded today is not queued again."""
    return {"queued": chat_reminders_queue()}


@shared_task(bind=True, name="chat.tasks.deliver_chat_message", **RETRY_TRANSIENT)
def deliver_chat_message(self: Task, delivery_id: int) -> dict[str, Any]:
    """Send one queued message; on a rate limit, server error or refused connection, try
    again after the service's delay (exponential backoff, or the destination's Retry-After).

    A message already sent (or given up on) is left alone, so a repeated or late retry never
    posts it twice. Database and broker hiccups are retried by ``RETRY_TRANSIENT``.
    """
    outcome = chat_delivery_send(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        # The row already says "retrying" and counts the attempts; Celery only has to wait.
        raise self.retry(countdown=outcome.retry_in, max_retries=settings.CHAT_MAX_RETRIES + 1)
    return {"delivery": delivery_id, "status": outcome.status, "attempts": outcome.attempts}
