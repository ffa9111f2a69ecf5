"""Assembling an excuse email from sentence parts.

An email is built from small parts (greeting, opening, decline, reason, an offer, a closing and a
sign-off; see ``sentence_parts``). The number of combinations keeps emails from reading like a
form letter. Everything here is a pure function of its inputs and a seeded RNG.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from . import sentence_parts as parts
from .drafts import MAX_WORDS, Draft, ExcuseInputs, word_count

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


def compose(inputs: ExcuseInputs, *, rng: random.Random) -> Draft:
    """Assemble one email; the same inputs and RNG state always give the same email."""
    tone, reason = inputs.tone, inputs.reason
    by_choice = reason == "not_right_attendee"
    picker = _Picker(rng)
    meeting = f"“{inputs.meeting_title}”"
    when = f" on {inputs.meeting_when}" if inputs.meeting_when else ""

    def fill(text: str) -> str:
        return text.replace("{m}", meeting).replace("{w}", when)

    greeting = picker.pick(parts.GREETINGS[tone]).replace("{o}", inputs.organizer_name)
    opening = fill(picker.pick(parts.OPENINGS[tone])) if parts.OPENINGS[tone] else ""
    declines = (parts.DECLINES_BY_CHOICE if by_choice else parts.DECLINES)[tone]
    decline = declines[rng.randrange(len(declines))]
    picker.used |= _guarded_words(decline.lead + decline.core)
    because = picker.pick(parts.REASON_CLAUSES[reason][tone])

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

    details = parts.DETAILS.get(reason, {}).get(tone, [])
    detail = picker.pick(details) if details and rng.random() < 0.6 else ""

    offers: list[str] = []
    if inputs.alternative_when:
        alternatives = (parts.ALTERNATIVES_BY_CHOICE if by_choice else parts.ALTERNATIVES)[tone]
        offers.append(picker.pick(alternatives).replace("{a}", inputs.alternative_when))
    group = reason if reason in ("wellbeing", "not_right_attendee") else "general"
    if inputs.offer_async_update:
        offers.append(picker.pick(parts.ASYNC_OFFERS[group][tone]))
    if not offers:
        door_group = "not_right_attendee" if by_choice else "general"
        offers.append(picker.pick(parts.DOOR_OPENERS[door_group][tone]))

    closing = picker.pick(parts.CLOSINGS[tone])
    sign_off = picker.pick(parts.SIGN_OFFS[tone])
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

    subjects = parts.SUBJECTS_FOR_COLON_TITLES if ":" in inputs.meeting_title else parts.SUBJECTS
    subject = picker.pick(subjects[tone]).replace("{t}", inputs.meeting_title)
    return Draft(subject=subject, body=body)
