"""Receivers of other apps' announcements (connected in ``ChatConfig.ready``)."""

from typing import Any

from accounts.models import User

from .services import chat_data_erase, chat_team_alerts_queue


def queue_team_alert_messages(sender: object, *, alert_ids: list[int], **kwargs: Any) -> None:
    """Team alerts were claimed for notification: tell the team's managers in chat too."""
    chat_team_alerts_queue(alert_ids=alert_ids)


def erase_chat_data_of(sender: object, *, user: User, **kwargs: Any) -> dict[str, int]:
    """Erasure takes the log of chat messages sent to the person; reported only when there
    was one, like every other app's share of the erasure."""
    erased = chat_data_erase(user=user)
    return {"chat_reminders": erased} if erased else {}
