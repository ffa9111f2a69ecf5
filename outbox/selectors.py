from typing import Any

from .models import OutboxMessage


def outbox_queued(task: str) -> list[list[Any]]:
    """The arguments of every ``task`` waiting in the outbox, oldest first."""
    return list(
        OutboxMessage.objects.filter(task=task).order_by("pk").values_list("args", flat=True)
    )
