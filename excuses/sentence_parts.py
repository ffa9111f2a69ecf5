# Sentence tables read better unwrapped.
# ruff: noqa: E501
"""The hand-written sentence parts that excuse emails are assembled from.

Every part of a slot is interchangeable with its siblings, so any combination stays grammatical.
Only the "personal" reason mentions an appointment, and even then never a made-up detail: the
other reasons talk about the sender's time and priorities, which the sender can stand behind.

Slots in the text: {o} the organizer's name, {m} the quoted meeting title, {w} " on <when>" (or
nothing), {a} the proposed alternative time and {t} the bare meeting title.
"""

from __future__ import annotations

from dataclasses import dataclass

ByTone = dict[str, list[str]]  # tone -> interchangeable options

GREETINGS: ByTone = {
    "formal": ["Dear {o},"],
    "friendly": ["Hi {o},", "Hello {o},"],
    "brief": ["Hi {o},"],
}

OPENINGS: ByTone = {
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
class Decline:
    lead: str  # an optional adverb, dropped when the reason comes first
    core: str  # used after an opening that already named the meeting
    core_with_meeting: str  # used when this sentence is the first to name it


def _decline(lead: str, core: str, core_with_meeting: str = "") -> Decline:
    """Most declines name the meeting by adding it after ``core``; the others spell it out."""
    return Decline(lead, core, core_with_meeting or f"{core} {{m}}{{w}}")


DECLINES: dict[str, list[Decline]] = {
    "formal": [
        _decline("Unfortunately, ", "I will not be able to attend"),
        _decline("I'm afraid ", "I won't be able to attend"),
        _decline("Regrettably, ", "I am unable to join"),
        _decline("", "I will need to decline"),
    ],
    "friendly": [
        _decline(
            "Unfortunately, ", "I won't be able to make it", "I won't be able to make it to {m}{w}"
        ),
        _decline("I'm afraid ", "I'll have to miss this one", "I'll have to miss {m}{w}"),
        _decline("Sadly, ", "I can't make it this time", "I can't make {m}{w}"),
        _decline("", "I'll have to sit this one out", "I'll have to sit out {m}{w}"),
    ],
    "brief": [
        _decline("", "I can't attend"),
        _decline("", "I won't be able to join"),
        _decline("", "I need to decline"),
    ],
}

# Not attending by choice reads better as a choice than as "I can't".
DECLINES_BY_CHOICE: dict[str, list[Decline]] = {
    "formal": [
        _decline("", "I will respectfully decline"),
        _decline(
            "",
            "I think it is best that I step back",
            "I think it is best that I step back from {m}{w}",
        ),
        _decline("", "I will step back on this occasion", "I will step back from {m}{w}"),
    ],
    "friendly": [
        _decline("", "I'll sit this one out", "I'll sit out {m}{w}"),
        _decline("", "I'm going to pass on this one", "I'm going to pass on {m}{w}"),
        _decline("", "I'll bow out of this one", "I'll bow out of {m}{w}"),
    ],
    "brief": [
        _decline("", "I'll pass on this one", "I'll pass on {m}{w}"),
        _decline("", "I'll sit this one out", "I'll sit out {m}{w}"),
    ],
}

# Independent clauses, written to follow "as", "so", or to stand alone once capitalised.
REASON_CLAUSES: dict[str, ByTone] = {
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
DETAILS: dict[str, ByTone] = {
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

ALTERNATIVES: ByTone = {
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
ALTERNATIVES_BY_CHOICE: ByTone = {
    "formal": ["If a short conversation with me would still be useful, I am free on {a}."],
    "friendly": ["If a quick chat would still help, I'm free on {a}."],
    "brief": ["If you still need me, I'm free on {a}."],
}

ASYNC_OFFERS: dict[str, ByTone] = {
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
DOOR_OPENERS: dict[str, ByTone] = {
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

CLOSINGS: ByTone = {
    "formal": [
        "Thank you for your understanding.",
        "I appreciate your understanding.",
        "I hope the discussion goes well.",
    ],
    "friendly": ["Thanks for understanding!", "Hope it goes well!", "Hope it's a good session."],
    "brief": ["", "Thanks for understanding."],
}

SIGN_OFFS: ByTone = {
    "formal": ["Kind regards,", "Best regards,", "With thanks,"],
    "friendly": ["Thanks,", "Best,", "Cheers,"],
    "brief": ["Thanks,", "Best,"],
}

# Titles often contain a colon already ("Vendor demo: Acme"); a second one reads badly.
SUBJECTS_FOR_COLON_TITLES: ByTone = {
    "formal": ["Unable to attend “{t}”", "Apologies, unable to attend “{t}”"],
    "friendly": ["Can't make “{t}”", "Sorry to miss “{t}”"],
    "brief": ["Declining “{t}”", "Can't attend “{t}”"],
}

SUBJECTS: ByTone = {
    "formal": ["Unable to attend: {t}", "Regrets: {t}", "{t}: unable to attend"],
    "friendly": ["Can't make it: {t}", "{t}: can't join this time", "Sorry to miss {t}"],
    "brief": ["Declining: {t}", "Can't attend: {t}"],
}
