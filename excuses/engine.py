# Sentence tables read better unwrapped, and typographic quotes are intended.
# ruff: noqa: E501, RUF001
"""Sentence-part engine for meeting-excuse emails.

An email is assembled from small, hand-written parts (greeting, opening, decline, reason, an
offer, a closing and a sign-off). Every part of a slot is interchangeable with its siblings, so
any combination stays grammatical, while the number of combinations keeps emails from reading
like a form letter. Everything here is a pure function of its inputs and a seeded RNG.

Only the "personal" reason mentions an appointment, and even then never a made-up detail: the
other reasons talk about the sender's time and priorities, which the sender can stand behind.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from urllib.parse import quote

MAX_WORDS = 120

REASONS: dict[str, str] = {
    "focus": "Focus time / deadline",
    "conflict": "Conflicting commitment",
    "wellbeing": "Wellbeing / need a break",
    "overbooked": "Already over-booked",
    "not_right_attendee": "Not the right attendee",
    "personal": "Personal appointment",
}
TONES: dict[str, str] = {"formal": "Formal", "friendly": "Friendly", "brief": "Brief"}
LANGUAGES: dict[str, str] = {"en": "English"}

# Words that sound clumsy when two parts of the same email both use them.
_REPEAT_GUARDED = frozenset(
    {
        "happy",
        "glad",
        "thanks",
        "thank",
        "unfortunately",
        "afraid",
        "sorry",
        "appreciate",
        "instead",
        "notes",
        "hope",
        "writing",
        "afterwards",
        "beforehand",
        "calendar",
        "time",
        "taking",
        "recharge",
        "need",
    }
)
_WORD = re.compile(r"[a-z']+")
# Anything a reader would take for an unfilled template slot.
PLACEHOLDER_PATTERN = re.compile(
    r"\[[^\]]*\]|\{[^}]*\}|<[^>]*>|\bX{3,}\b|\bTBD\b|\bTK\b|lorem ipsum|your name|"
    r"(recipient|organi[sz]er|meeting|sender)['’]?s? name",
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


# --- Parts -----------------------------------------------------------------------------------
# {m} is the quoted meeting title and {w} " on <when>" (or nothing).

_GREETINGS = {
    "formal": ["Dear {o},"],
    "friendly": ["Hi {o},", "Hello {o},"],
    "brief": ["Hi {o},"],
}

_OPENINGS = {
    "formal": [
        "Thank you for the invitation to {m}{w}.",
        "Thank you for including me in {m}{w}.",
        "Thank you for thinking of me for {m}{w}.",
    ],
    "friendly": [
        "Thanks for the invite to {m}{w}.",
        "Thanks for including me in {m}{w}.",
        "Thanks for thinking of me for {m}{w}.",
    ],
    "brief": [],
}


@dataclass(frozen=True)
class _Decline:
    lead: str  # an optional adverb, dropped when the reason comes first
    core: str  # used after an opening that already named the meeting
    core_with_meeting: str  # used when this sentence is the first to name it


_DECLINES = {
    "formal": [
        _Decline(
            "Unfortunately, ", "I will not be able to attend", "I will not be able to attend {m}{w}"
        ),
        _Decline("I'm afraid ", "I won't be able to attend", "I won't be able to attend {m}{w}"),
        _Decline("Regrettably, ", "I am unable to join", "I am unable to join {m}{w}"),
        _Decline("", "I will need to decline", "I will need to decline {m}{w}"),
    ],
    "friendly": [
        _Decline(
            "Unfortunately, ", "I won't be able to make it", "I won't be able to make it to {m}{w}"
        ),
        _Decline("I'm afraid ", "I'll have to miss this one", "I'll have to miss {m}{w}"),
        _Decline("Sadly, ", "I can't make it this time", "I can't make {m}{w}"),
        _Decline("", "I'll have to sit this one out", "I'll have to sit out {m}{w}"),
    ],
    "brief": [
        _Decline("", "I can't attend", "I can't attend {m}{w}"),
        _Decline("", "I won't be able to join", "I won't be able to join {m}{w}"),
        _Decline("", "I need to decline", "I need to decline {m}{w}"),
    ],
}

# Not attending by choice reads better as a choice than as "I can't".
_DECLINES_BY_CHOICE = {
    "formal": [
        _Decline("", "I will respectfully decline", "I will respectfully decline {m}{w}"),
        _Decline(
            "",
            "I think it is best that I step back",
            "I think it is best that I step back from {m}{w}",
        ),
        _Decline("", "I will step back on this occasion", "I will step back from {m}{w}"),
    ],
    "friendly": [
        _Decline("", "I'll sit this one out", "I'll sit out {m}{w}"),
        _Decline("", "I'm going to pass on this one", "I'm going to pass on {m}{w}"),
        _Decline("", "I'll bow out of this one", "I'll bow out of {m}{w}"),
    ],
    "brief": [
        _Decline("", "I'll pass on this one", "I'll pass on {m}{w}"),
        _Decline("", "I'll sit this one out", "I'll sit out {m}{w}"),
    ],
}

# Independent clauses, written to follow "as", "so", or to stand alone once capitalised.
_REASONS = {
    "focus": {
        "formal": [
            "I have reserved that time for focused work on a deadline",
            "I have set that time aside for uninterrupted work on a piece that is due shortly",
            "I need that block for focused work to meet a deadline",
        ],
        "friendly": [
            "I've blocked that time for heads-down work on a deadline",
            "I'm deep in deadline work and need to keep that slot clear",
            "I'm protecting that time to get a deadline over the line",
        ],
        "brief": [
            "I'm keeping that time for deadline work",
            "I need that time for focused work on a deadline",
        ],
    },
    "conflict": {
        "formal": [
            "I have a prior commitment at that time",
            "that time overlaps with an existing commitment that I cannot move",
            "I am already committed elsewhere at that time",
        ],
        "friendly": [
            "I've already got something at that time that I can't move",
            "I have a clash at that time",
            "I'm already committed elsewhere then",
        ],
        "brief": [
            "I have a clash at that time",
            "I'm already committed elsewhere then",
        ],
    },
    "wellbeing": {
        "formal": [
            "I am taking some time to recharge and stay effective",
            "I am deliberately keeping my schedule light at the moment to recharge",
            "I am taking a short break to rest",
        ],
        "friendly": [
            "I'm taking a bit of time to recharge",
            "I'm keeping my schedule light for a little while to recharge",
            "I need a short breather to stay at my best",
        ],
        "brief": [
            "I'm taking a short break to recharge",
            "I'm keeping my schedule light to recharge",
        ],
    },
    "overbooked": {
        "formal": [
            "my schedule around that time is already fully committed",
            "I am already at capacity with meetings and need to keep time free to follow up on them",
            "my calendar is fully booked around then",
        ],
        "friendly": [
            "my calendar is already packed around then",
            "I'm already stretched across a lot of meetings and need some room to get the work done",
            "I'm fully booked around then",
        ],
        "brief": [
            "I'm fully booked around then",
            "I'm already at capacity with meetings",
        ],
    },
    "not_right_attendee": {
        "formal": [
            "I do not believe I am the right person to contribute to this discussion",
            "others are better placed than I am to contribute to the discussion",
            "I am not sure my attendance would add much to the discussion",
        ],
        "friendly": [
            "I don't think I'm the best person to contribute here",
            "I'm not sure I'd add much to the discussion",
            "others are better placed to contribute",
        ],
        "brief": [
            "others are better placed to contribute",
            "I don't think I'd add much to the discussion",
        ],
    },
    "personal": {
        "formal": [
            "I have a personal appointment at that time",
            "I have a personal appointment at that time that I am unable to move",
        ],
        "friendly": [
            "I've got a personal appointment at that time",
            "I have a personal appointment then that I can't move",
        ],
        "brief": [
            "I have a personal appointment then",
            "I have a personal appointment at that time",
        ],
    },
}

# One optional sentence that explains a little more (never for the brief tone).
_DETAILS = {
    "focus": {
        "formal": [
            "Keeping this block free of interruptions is the most reliable way for me to deliver on time.",
            "I would rather give the deadline my full attention than join with half my mind elsewhere.",
        ],
        "friendly": [
            "Keeping this block uninterrupted is what will get the work done on time.",
            "I'd rather get it finished properly than join with half my mind elsewhere.",
        ],
    },
    "conflict": {
        "formal": ["I am sorry the timing does not work out on this occasion."],
        "friendly": ["Sorry the timing doesn't work out this time."],
    },
    "wellbeing": {
        "formal": [
            "A short pause now means I can contribute properly in the days ahead.",
            "Stepping back briefly now means I can give my work proper attention afterwards.",
        ],
        "friendly": ["A little space now means I'll be more useful in the days ahead."],
    },
    "overbooked": {
        "formal": [
            "I would rather decline than attend without being able to give the discussion proper attention.",
        ],
        "friendly": ["I'd rather say so now than join without giving it proper attention."],
    },
    "not_right_attendee": {
        "formal": [
            "I would not want to take up a seat that someone closer to the topic could use."
        ],
        "friendly": ["Someone closer to the topic would get more out of it than I would."],
    },
    "personal": {
        "formal": ["I am sorry for any inconvenience this may cause."],
        "friendly": ["Sorry to miss it."],
    },
}

_ALTERNATIVES = {
    "formal": [
        "Would {a} suit you instead?",
        "If it would be useful, I could meet on {a} instead.",
        "I would be glad to find time on {a} if a conversation would help.",
    ],
    "friendly": [
        "Would {a} work instead?",
        "I'm free on {a} if you'd like to catch up then.",
        "Happy to find time on {a} instead if that helps.",
    ],
    "brief": ["Would {a} work instead?", "I could do {a} instead."],
}

# "Instead" makes no sense after "I'm not the right person": offer time only if it still helps.
_ALTERNATIVES_BY_CHOICE = {
    "formal": ["If a short conversation with me would still be useful, I am free on {a}."],
    "friendly": ["If a quick chat would still help, I'm free on {a}."],
    "brief": ["If you still need me, I'm free on {a}."],
}

_ASYNC_OFFERS = {
    "general": {
        "formal": [
            "I would be happy to share any updates in writing beforehand and to review the notes afterwards.",
            "Please let me know if you need anything from me in advance; I will catch up on the notes afterwards.",
            "I can send my input by email ahead of the meeting and follow up on the notes afterwards.",
        ],
        "friendly": [
            "I'm happy to send over my updates beforehand and catch up on the notes afterwards.",
            "If you need anything from me, let me know and I'll send it over in writing.",
            "Feel free to send me the notes, and I'll follow up on anything that needs me.",
        ],
        "brief": [
            "I'll send my updates in writing and catch up on the notes.",
            "Happy to share my input in writing.",
        ],
    },
    "wellbeing": {
        "formal": [
            "I will catch up on the notes afterwards and follow up on anything that needs my input.",
            "If there is anything you need from me, I am glad to respond in writing afterwards.",
        ],
        "friendly": [
            "I'll catch up on the notes afterwards and follow up on anything that needs me.",
            "If you need anything from me, I'm happy to reply in writing afterwards.",
        ],
        "brief": ["I'll catch up on the notes afterwards."],
    },
    "not_right_attendee": {
        "formal": [
            "Should any decision touch my area, I would be glad to review it in writing.",
            "If you need my input on a specific point, please send it over and I will respond in writing.",
        ],
        "friendly": [
            "If anything comes up that needs my input, just send it my way and I'll reply in writing.",
            "If a decision touches my area, I'm happy to review it in writing afterwards.",
        ],
        "brief": ["Send anything that needs my input my way and I'll reply in writing."],
    },
}

# When the sender offers neither a time nor a written update, still leave a door open.
_DOOR_OPENERS = {
    "general": {
        "formal": ["If it would help, I would be glad to find another time to talk."],
        "friendly": ["Happy to find another time if that helps."],
        "brief": ["Happy to find another time."],
    },
    "not_right_attendee": {
        "formal": ["Please let me know if there is a specific point where my input would help."],
        "friendly": ["Just let me know if there's anything specific you need from me."],
        "brief": ["Let me know if you need anything specific."],
    },
}

_CLOSINGS = {
    "formal": [
        "Thank you for your understanding.",
        "I appreciate your understanding.",
        "I hope the discussion goes well.",
    ],
    "friendly": ["Thanks for understanding!", "Hope it goes well!", "Hope it's a good session."],
    "brief": ["", "Thanks for understanding."],
}

_SIGN_OFFS = {
    "formal": ["Kind regards,", "Best regards,", "With thanks,"],
    "friendly": ["Thanks,", "Best,", "Cheers,"],
    "brief": ["Thanks,", "Best,"],
}

# Titles often contain a colon already ("Vendor demo: Acme"); a second one reads badly.
_SUBJECTS_FOR_COLON_TITLES = {
    "formal": ["Unable to attend “{t}”", "Apologies, unable to attend “{t}”"],
    "friendly": ["Can't make “{t}”", "Sorry to miss “{t}”"],
    "brief": ["Declining “{t}”", "Can't attend “{t}”"],
}

_SUBJECTS = {
    "formal": ["Unable to attend: {t}", "Regrets: {t}", "{t}: unable to attend"],
    "friendly": ["Can't make it: {t}", "{t}: can't join this time", "Sorry to miss {t}"],
    "brief": ["Declining: {t}", "Can't attend: {t}"],
}


# --- Assembly --------------------------------------------------------------------------------


@dataclass
class _Picker:
    rng: random.Random
    used: set[str] = field(default_factory=set)

    def pick(self, options: list[str]) -> str:
        """A random option, preferring ones that don't repeat a guarded word already used."""
        fresh = [o for o in options if not (_guarded_words(o) & self.used)]
        choice = self.rng.choice(fresh or options)
        self.used |= _guarded_words(choice)
        return choice


def _guarded_words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) & _REPEAT_GUARDED


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


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


def compose(inputs: ExcuseInputs, *, rng: random.Random) -> Draft:
    """Assemble one email; the same inputs and RNG state always give the same email."""
    tone, reason = inputs.tone, inputs.reason
    picker = _Picker(rng)
    meeting = f"“{inputs.meeting_title}”"
    when = f" on {inputs.meeting_when}" if inputs.meeting_when else ""

    def fill(text: str) -> str:
        return text.replace("{m}", meeting).replace("{w}", when)

    greeting = picker.pick(_GREETINGS[tone]).replace("{o}", inputs.organizer_name)
    opening = fill(picker.pick(_OPENINGS[tone])) if _OPENINGS[tone] else ""
    declines = (_DECLINES_BY_CHOICE if reason == "not_right_attendee" else _DECLINES)[tone]
    decline = declines[rng.randrange(len(declines))]
    picker.used |= _guarded_words(decline.lead + decline.core)
    because = picker.pick(_REASONS[reason][tone])

    if opening:
        shape = rng.choice(["lead-as", "reason-so", "two-sentences"])
        core = decline.core
    else:
        # Without an opening the decline must name the meeting before "that time" refers to it.
        shape = rng.choice(["lead-as", "two-sentences"])
        core = fill(decline.core_with_meeting)
    if shape == "lead-as":
        main = f"{_capitalise(decline.lead + core)}, as {because}."
    elif shape == "reason-so":
        main = f"{_capitalise(because)}, so {core}."
    else:
        main = f"{_capitalise(decline.lead + core)}. {_capitalise(because)}."

    details = _DETAILS.get(reason, {}).get(tone, [])
    detail = picker.pick(details) if details and rng.random() < 0.6 else ""

    offers: list[str] = []
    if inputs.alternative_when:
        alternatives = (
            _ALTERNATIVES_BY_CHOICE if reason == "not_right_attendee" else _ALTERNATIVES
        )[tone]
        offers.append(picker.pick(alternatives).replace("{a}", inputs.alternative_when))
    group = reason if reason in ("wellbeing", "not_right_attendee") else "general"
    if inputs.offer_async_update:
        offers.append(picker.pick(_ASYNC_OFFERS[group][tone]))
    if not offers:
        door_group = "not_right_attendee" if reason == "not_right_attendee" else "general"
        offers.append(picker.pick(_DOOR_OPENERS[door_group][tone]))

    closing = picker.pick(_CLOSINGS[tone])
    sign_off = picker.pick(_SIGN_OFFS[tone])
    name = inputs.signature_name

    def render(*, with_detail: bool, with_closing: bool) -> str:
        first = " ".join(p for p in [opening, main, detail if with_detail else ""] if p)
        second = " ".join(offers)
        paragraphs = [greeting, first, second]
        if with_closing and closing:
            paragraphs.append(closing)
        paragraphs.append(f"{sign_off}\n{name}")
        return "\n\n".join(paragraphs)

    # Long titles or names can push past the limit: drop the optional sentences first.
    body = render(with_detail=True, with_closing=True)
    if word_count(body) > MAX_WORDS:
        body = render(with_detail=False, with_closing=True)
    if word_count(body) > MAX_WORDS:
        body = render(with_detail=False, with_closing=False)

    subjects = _SUBJECTS_FOR_COLON_TITLES if ":" in inputs.meeting_title else _SUBJECTS
    subject = picker.pick(subjects[tone]).replace("{t}", inputs.meeting_title)
    return Draft(subject=subject, body=body)


def mailto_url(*, subject: str, body: str, to: str = "") -> str:
    """A ``mailto:`` link with the subject and body percent-encoded (RFC 6068, CRLF newlines)."""
    encoded_body = quote(body.replace("\r\n", "\n").replace("\n", "\r\n"), safe="")
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject, safe='')}&body={encoded_body}"
