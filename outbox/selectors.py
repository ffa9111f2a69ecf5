from typing import Any

from .models import OutboxMessage


def outbox_queued(task: str) -> list[list[Any]]:
    """The arguments of every ``task`` waiting in the outbox, oldest first."""
    return list(
        OutboxMessage.objects.filter(task=task).order_by("pk").values_list("args", flat=True)
    )


def outbox_backlog() -> dict[str, Any]:
    """How many tasks wait in the outbox and since when (for health checks and operators)."""
    oldest = OutboxMessage.objects.order_by("pk").values_list("created_at", flat=True).first()
    return {"waiting": OutboxMessage.objects.count(), "oldest": oldest}
