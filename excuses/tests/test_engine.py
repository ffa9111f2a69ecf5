"""The sentence-part engine, without a database."""

import datetime as dt
import itertools
import random
import re
from io import StringIO
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from excuses.choices import REASONS, TONES
from excuses.composer import compose
from excuses.drafts import MAX_WORDS, PLACEHOLDER_PATTERN, ExcuseInputs, format_when, word_count
from excuses.mailto import mailto_url

ALTERNATIVE = "Friday 4 December at 14:00"
INVENTED = re.compile(r"\b(doctor|dentist|hospital|sick|ill|appointment|funeral)\b", re.I)


def inputs(**overrides) -> ExcuseInputs:
    values = {
        "reason": "focus",
        "tone": "friendly",
        "meeting_title": "Q4 roadmap review",
        "organizer_name": "Priya",
        "sender_full_name": "Erin Walsh",
        "sender_short_name": "Erin",
        "meeting_when": "Thursday 3 December at 10:00",
        "alternative_when": "",
        "offer_async_update": True,
    }
    values.update(overrides)
    return ExcuseInputs(**values)


OPTIONS = list(
    itertools.product(
        REASONS, TONES, ["", ALTERNATIVE], [True, False], ["", "Monday 7 December at 09:30"]
    )
)


@pytest.mark.parametrize(("reason", "tone", "alternative", "offer_async", "when"), OPTIONS)
def test_it_writes_a_complete_email_for_every_reason_and_tone(
    reason, tone, alternative, offer_async, when
):
    for seed in range(12):
        draft = compose(
            inputs(
                reason=reason,
                tone=tone,
                alternative_when=alternative,
                offer_async_update=offer_async,
                meeting_when=when,
            ),
            rng=random.Random(seed),
        )
        body, subject = draft.body, draft.subject
        assert body.strip() and subject.strip()
        assert word_count(body) <= MAX_WORDS
        assert "Q4 roadmap review" in body and "Q4 roadmap review" in subject
        assert body.startswith(("Dear Priya,", "Hi Priya,", "Hello Priya,"))
        signature = "Erin Walsh" if tone == "formal" else "Erin"
        assert body.endswith(f",\n{signature}")
        assert not PLACEHOLDER_PATTERN.search(body.replace("“Q4 roadmap review”", ""))
        assert "{" not in body and "}" not in body and "  " not in body
        if when:
            assert when in body
        if alternative:
            assert alternative in body
        # Sentences end properly and none is repeated.
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", body.split("\n\n", 1)[1]) if s]
        assert len(sentences) == len(set(sentences))
        assert body.count("!") <= 1
        assert not re.search(r"\bso\b[^.]*\bso\b", body), body


@pytest.mark.parametrize(("reason", "tone"), list(itertools.product(REASONS, TONES)))
def test_it_always_leaves_a_way_forward(reason, tone):
    for seed in range(20):
        body = compose(
            inputs(reason=reason, tone=tone, offer_async_update=False, alternative_when=""),
            rng=random.Random(seed),
        ).body
        middle = body.split("\n\n")[2]
        assert re.search(r"another time|let me know|anything specific", middle, re.I), body


@pytest.mark.parametrize("reason", [r for r in REASONS if r != "personal"])
def test_it_never_invents_an_appointment_or_illness(reason):
    for tone, seed in itertools.product(TONES, range(30)):
        body = compose(inputs(reason=reason, tone=tone), rng=random.Random(seed)).body
        assert not INVENTED.search(body), body


def test_it_mentions_the_appointment_only_when_chosen_and_without_details():
    for tone, seed in itertools.product(TONES, range(30)):
        body = compose(inputs(reason="personal", tone=tone), rng=random.Random(seed)).body
        assert "personal appointment" in body
        assert not re.search(r"doctor|dentist|hospital|sick", body, re.I)


@pytest.mark.parametrize(("reason", "tone"), list(itertools.product(REASONS, TONES)))
def test_it_varies_across_seeds(reason, tone):
    bodies = {
        compose(inputs(reason=reason, tone=tone), rng=random.Random(s)).body for s in range(40)
    }
    subjects = {
        compose(inputs(reason=reason, tone=tone), rng=random.Random(s)).subject for s in range(40)
    }

    assert len(bodies) >= 15
    assert len(subjects) >= 2


def test_it_writes_many_distinct_emails_overall():
    bodies = {
        compose(inputs(reason=reason, tone=tone), rng=random.Random(seed)).body
        for reason, tone, seed in itertools.product(REASONS, TONES, range(20))
    }

    assert len(bodies) >= 300


def test_it_is_deterministic_for_a_seed():
    for reason, tone in itertools.product(REASONS, TONES):
        first = compose(inputs(reason=reason, tone=tone), rng=random.Random(1234))
        again = compose(inputs(reason=reason, tone=tone), rng=random.Random(1234))
        assert first == again


def test_it_stays_under_the_limit_with_very_long_inputs():
    long_title = ("Cross-functional quarterly planning and dependency alignment workshop " * 3)[
        :120
    ]
    for reason, tone, seed in itertools.product(REASONS, TONES, range(10)):
        body = compose(
            inputs(
                reason=reason,
                tone=tone,
                meeting_title=long_title,
                organizer_name="Dr. Maria Fernanda de los Santos Oliveira",
                sender_full_name="Alexandra Konstantinopoulou-Whitfield",
                alternative_when="Wednesday 30 December 2026 at 16:45",
            ),
            rng=random.Random(seed),
        ).body
        assert word_count(body) <= MAX_WORDS
        assert long_title in body


def test_it_keeps_subjects_to_one_colon():
    for tone, seed in itertools.product(TONES, range(20)):
        plain = compose(inputs(tone=tone), rng=random.Random(seed)).subject
        colon = compose(
            inputs(tone=tone, meeting_title="Vendor demo: Acme"), rng=random.Random(seed)
        )
        assert plain.count(":") <= 1
        assert colon.subject.replace("Vendor demo: Acme", "").count(":") == 0


def test_it_refuses_an_unknown_reason_or_tone():
    with pytest.raises(ValueError, match="reason"):
        inputs(reason="aliens")
    with pytest.raises(ValueError, match="tone"):
        inputs(tone="sarcastic")


def test_it_formats_times_in_the_given_zone():
    utc = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    berlin = ZoneInfo("Europe/Berlin")

    assert (
        format_when(utc, tz=berlin, today=dt.date(2026, 11, 25)) == "Thursday 3 December at 10:00"
    )
    assert format_when(utc, tz=berlin, today=dt.date(2025, 11, 25)).startswith(
        "Thursday 3 December 2026"
    )
    assert format_when(None, tz=berlin) == ""


def test_it_builds_a_mailto_link_that_round_trips():
    subject = "Can't make it: R&D sync?"
    body = "Hi Priya,\n\nSorry & thanks = 100%.\n\nBest,\nErin"

    url = mailto_url(subject=subject, body=body)
    query = parse_qs(urlsplit(url).query)

    assert url.startswith("mailto:?subject=")
    assert " " not in url and "\n" not in url
    assert "%0D%0A" in url
    assert query["subject"] == [subject]
    assert query["body"] == [body.replace("\n", "\r\n")]


def test_the_samples_command_prints_emails_and_statistics():
    out = StringIO()
    call_command("excuse_samples", reason="focus", tone="brief", count=2, stdout=out)
    assert out.getvalue().count("Subject: ") == 2

    stats = StringIO()
    call_command("excuse_samples", count=10, stats=True, stdout=stats)
    assert stats.getvalue().startswith("180 emails, ")
