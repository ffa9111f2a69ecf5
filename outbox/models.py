from django.db import models


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that needs it.

    A request never talks to the broker: it commits the change and this row together, and
    ``outbox.services.outbox_relay`` (the ``relay_outbox`` process, with Celery beat as a
    fallback) sends the task and deletes the row. Delivery is at least once: tasks sent through
    the outbox must be safe to run twice.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
