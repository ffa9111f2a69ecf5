"""Why a calendar could not be connected or read: a readable message, answered as a 400."""

from resonance.exceptions import DomainError


class CalendarFetchError(DomainError):
    """The calendar could not be fetched or read (address refused, server error, too large,
    too slow, not a calendar)."""

    code = "calendar_unreachable"
