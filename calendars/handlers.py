"""What calendars does when metrics announces something (connected in ``CalendarsConfig``)."""

from typing import Any

from accounts.models import User

from .services import calendar_data_erase


def on_personal_data_erasing(sender: Any, *, user: User, **kwargs: Any) -> dict[str, int]:
    """Erasure takes the calendar connection (credentials) and the days read from it too.
    Only what there was is reported: someone who never connected a calendar reads nothing
    about calendars in the erasure message."""
    return {kind: count for kind, count in calendar_data_erase(user=user).items() if count}
