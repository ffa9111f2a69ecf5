"""Writing meeting-excuse emails: wording (language model or sentence parts) and history."""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from dataclasses import asdict, dataclass, replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from resonance.exceptions import DomainError

from . import llm
from .choices import LANGUAGES, REASONS, TONES
from .composer import compose
from .drafts import ExcuseInputs, format_when
from .models import MEETING_TITLE_MAX, ORGANIZER_NAME_MAX, ExcuseEmail
from .selectors import user_zone

logger = logging.getLogger(__name__)

MAX_AHEAD = dt.timedelta(days=730)
_QUOTES = "\"'“”‘’«»"  # noqa: RUF001 (the composer adds its own quotes around the title)


class ExcuseInputError(DomainError):
    """The inputs cannot make a sensible email; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ExcuseRequest:
    """What the employee asked for, built by the page or the API from its validated input.

    ``draft_excuse`` still cleans and checks it, so a caller cannot bypass the rules. The fields
    are ``ExcuseEmail``'s inputs, under the same names, so a saved email records its request.
    """

    meeting_title: str
    organizer_name: str
    reason: str
    tone: str
    meeting_time: dt.datetime | None = None
    propose_alternative: dt.datetime | None = None
    offer_async_update: bool = True
    language: str = "en"
    seed: int | None = None  # None: a fresh random seed


@dataclass(frozen=True)
class GeneratedExcuse:
    subject: str
    body: str
    backend: str  # an ExcuseEmail.Backend value
    seed: int


def clean_text(value: str) -> str:
    """One line, single spaces, without the quotes people paste around titles."""
    return " ".join(str(value).split()).strip(_QUOTES).strip()


def time_errors(
    *,
    meeting_time: dt.datetime | None,
    propose_alternative: dt.datetime | None,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """Field errors for times that would make the email read wrong."""
    now = now or timezone.now()
    horizon = now + MAX_AHEAD
    errors: dict[str, str] = {}
    # A few minutes of grace: people decline meetings that are just starting.
    if meeting_time is not None and meeting_time < now - dt.timedelta(minutes=15):
        errors["meeting_time"] = "The meeting time is in the past."
    elif meeting_time is not None and meeting_time > horizon:
        errors["meeting_time"] = "The meeting time is more than two years away."
    if propose_alternative is not None:
        if propose_alternative < now:
            errors["propose_alternative"] = "The alternative time is in the past."
        elif propose_alternative > horizon:
            errors["propose_alternative"] = "The alternative time is more than two years away."
        elif meeting_time is not None and propose_alternative == meeting_time:
            errors["propose_alternative"] = "The alternative time is the meeting time itself."
    return errors


def _input_errors(excuse_request: ExcuseRequest) -> dict[str, str]:
    meeting_title, organizer_name = excuse_request.meeting_title, excuse_request.organizer_name
    errors: dict[str, str] = {}
    if not meeting_title:
        errors["meeting_title"] = "Give the meeting's title."
    elif len(meeting_title) > MEETING_TITLE_MAX:
        errors["meeting_title"] = f"Keep the title under {MEETING_TITLE_MAX} characters."
    if not organizer_name:
        errors["organizer_name"] = "Give the organizer's name."
    elif len(organizer_name) > ORGANIZER_NAME_MAX:
        errors["organizer_name"] = f"Keep the name under {ORGANIZER_NAME_MAX} characters."
    if excuse_request.reason not in REASONS:
        errors["reason"] = f"Choose a reason: {', '.join(REASONS)}."
    if excuse_request.tone not in TONES:
        errors["tone"] = f"Choose a tone: {', '.join(TONES)}."
    if excuse_request.language not in LANGUAGES:
        errors["language"] = f"Supported languages: {', '.join(LANGUAGES)}."
    errors.update(
        time_errors(
            meeting_time=excuse_request.meeting_time,
            propose_alternative=excuse_request.propose_alternative,
        )
    )
    return errors


def _cleaned(excuse_request: ExcuseRequest) -> ExcuseRequest:
    return replace(
        excuse_request,
        meeting_title=clean_text(excuse_request.meeting_title),
        organizer_name=clean_text(excuse_request.organizer_name),
    )


def sender_names(user: User) -> tuple[str, str]:
    """(full name for formal emails, first name for the others), falling back to the username."""
    full = user.get_full_name().strip() or user.get_username()
    return full, (user.first_name.strip() or full)


def _llm_config() -> llm.LLMConfig | None:
    if not settings.EXCUSE_LLM_URL:
        return None
    return llm.LLMConfig(
        url=settings.EXCUSE_LLM_URL,
        model=settings.EXCUSE_LLM_MODEL,
        api_key=settings.EXCUSE_LLM_API_KEY,
        timeout=settings.EXCUSE_LLM_TIMEOUT,
    )


def draft_excuse(*, user: User, excuse_request: ExcuseRequest) -> GeneratedExcuse:
    """Word an email without saving it.

    Uses the language model when ``EXCUSE_LLM_URL`` is set and its answer passes validation;
    otherwise (or on any failure of it) the sentence-part composer, deterministic for the seed.
    Raises ``ExcuseInputError`` (400) for unusable inputs. Side effect: at most one HTTP request
    to the configured model server, bounded by ``EXCUSE_LLM_TIMEOUT`` (10 s at most).
    """
    return _draft_cleaned(user=user, excuse_request=_cleaned(excuse_request))


def _draft_cleaned(*, user: User, excuse_request: ExcuseRequest) -> GeneratedExcuse:
    # Cleaning twice is not always a no-op, so callers clean once and pass the result here.
    errors = _input_errors(excuse_request)
    if errors:
        raise ExcuseInputError(errors)

    seed = secrets.randbits(48) if excuse_request.seed is None else excuse_request.seed
    zone = user_zone(user)
    full_name, short_name = sender_names(user)
    inputs = ExcuseInputs(
        reason=excuse_request.reason,
        tone=excuse_request.tone,
        meeting_title=excuse_request.meeting_title,
        organizer_name=excuse_request.organizer_name,
        sender_full_name=full_name,
        sender_short_name=short_name,
        meeting_when=format_when(excuse_request.meeting_time, tz=zone),
        alternative_when=format_when(excuse_request.propose_alternative, tz=zone),
        offer_async_update=excuse_request.offer_async_update,
    )

    config = _llm_config()
    if config is not None:
        try:
            draft = llm.request_draft(inputs, config=config, seed=seed)
            return GeneratedExcuse(draft.subject, draft.body, ExcuseEmail.Backend.LLM, seed)
        except llm.LLMUnavailable as exc:
            # Never the email text in logs: it names people and meetings.
            logger.warning("Excuse language model not used (%s); using sentence parts.", exc)
    draft = compose(inputs, rng=random.Random(seed))
    return GeneratedExcuse(draft.subject, draft.body, ExcuseEmail.Backend.TEMPLATE, seed)


def excuse_create(*, user: User, excuse_request: ExcuseRequest) -> ExcuseEmail:
    """Word an email (see ``draft_excuse``) and add it to the author's history.

    The model server is asked before the transaction opens, so a slow answer never holds one.
    Raises ``ExcuseInputError`` before anything is written.
    """
    excuse_request = _cleaned(excuse_request)
    result = _draft_cleaned(user=user, excuse_request=excuse_request)
    saved_inputs = asdict(replace(excuse_request, seed=result.seed))
    with transaction.atomic():
        return ExcuseEmail.objects.create(
            user=user,
            **saved_inputs,
            subject=result.subject,
            body=result.body,
            backend=result.backend,
        )


@transaction.atomic
def excuse_history_clear(*, user: User) -> int:
    """Delete every saved email of ``user``; returns how many were deleted."""
    deleted, _ = ExcuseEmail.objects.filter(user=user).delete()
    return deleted
