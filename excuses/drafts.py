"""What goes into an excuse email and what comes out, with the rules every draft must meet.

Shared by the sentence-part composer and the language-model backend, so both are held to the
same length limit and the same idea of an unfilled placeholder.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .choices import REASONS, TONES

MAX_WORDS = 120

# Anything a reader would take for an unfilled template slot.
PLACEHOLDER_PATTERN = re.compile(
    r"\[[^\]]*\]|\{[^}]*\}|<[^>]*>|\bX{3,}\b|\bTBD\b|\bTK\b|lorem ipsum|your name|"
    r"(recipient|organi[sz]er|meeting|sender)['’]?s? name",  # noqa: RUF001 (typographic apostrophe)
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


@dataclass(frozen=True)
class ExcuseInputs:
    """Everything the wording depends on, already formatted for reading."""

    reason: str
    tone: str
    meeting_title: str
    organizer_name: str
    sender_full_name: str
    sender_short_name: str
    meeting_when: str = ""  # "Thursday 3 December at 10:00", or "" when unknown
    alternative_when: str = ""  # same format, or "" when none is proposed
    offer_async_update: bool = True

    @property
    def signature_name(self) -> str:
        return self.sender_full_name if self.tone == "formal" else self.sender_short_name

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"Unknown reason {self.reason!r}.")
        if self.tone not in TONES:
            raise ValueError(f"Unknown tone {self.tone!r}.")


def word_count(text: str) -> int:
    return len(text.split())


def format_when(value: dt.datetime | None, *, tz: dt.tzinfo, today: dt.date | None = None) -> str:
    """'Thursday 3 December at 10:00' in ``tz`` (with the year when it is not this year)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(tz)
    today = today or dt.datetime.now(tz).date()
    year = f" {value.year}" if value.year != today.year else ""
    return f"{value:%A} {value.day} {value:%B}{year} at {value:%H:%M}"
