"""The transactional outbox: queue a task with the change that needs it, relay it later.

``outbox_add`` writes a row in the caller's transaction, so the task exists exactly when the
change does, and a slow or absent broker never holds the request. ``outbox_relay`` sends what
is queued (the ``relay_outbox`` command runs it in a loop; Celery beat runs it too, in case
that process is not running). Without a broker (tasks run in-process, the embedded default)
the outbox drains as soon as the transaction commits, so the demo scores at once.
"""

import logging
from typing import Any

from celery import current_app as app
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

RELAY_BATCH = 100
ERROR_MAX = 300


def outbox_add(task: str, *args: Any) -> OutboxMessage:
    """Queue Celery task ``task`` (its dotted name) with JSON-serialisable ``args``.

    Call it inside the transaction that makes the change the task follows up; the task is sent
    only if that transaction commits. The task must be safe to run more than once.
    """
    message = OutboxMessage.objects.create(task=task, args=list(args))
    if app.conf.task_always_eager:
        transaction.on_commit(outbox_relay)
    return message


def _run_in_process(messages: list[OutboxMessage]) -> None:
    for message in messages:
        import_string(message.task).apply_async(message.args)


def outbox_relay(*, limit: int = RELAY_BATCH) -> int:
    """Send queued tasks, oldest first, and delete what was sent; returns how many were sent.

    Stops at the first broker error (the row keeps its place, with the error and one more
    attempt counted) and tries again on the next call. Several relays may run at once: each
    takes rows the others have not locked. A row is deleted in the transaction that sent it,
    so a relay that dies after sending but before committing sends that task again.
    """
    sent = 0
    while True:
        if app.conf.task_always_eager:
            # No broker: take the rows, then run each task here, outside the relay's transaction.
            with transaction.atomic():
                batch = list(_next_batch(limit))
                OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).delete()
            _run_in_process(batch)
            sent += len(batch)
        else:
            batch, delivered = _send_batch(limit)
            sent += delivered
            if delivered < len(batch):
                return sent
        if len(batch) < limit:
            return sent


def _next_batch(limit: int) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.select_for_update(skip_locked=True).order_by("pk")[:limit]


def _send_batch(limit: int) -> tuple[list[OutboxMessage], int]:
    with transaction.atomic():
        batch = list(_next_batch(limit))
        delivered: list[int] = []
        for message in batch:
            try:
                app.send_task(message.task, args=message.args, retry=False)
            except Exception as exc:  # any broker or transport error: keep the row, try later
                logger.warning("Could not send %s; it stays in the outbox", message, exc_info=True)
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=F("attempts") + 1,
                    last_error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX],
                )
                break
            delivered.append(message.pk)
        OutboxMessage.objects.filter(pk__in=delivered).delete()
    return batch, len(delivered)
