"""Optional wording from an OpenAI-compatible chat-completions server.

Only the meeting title, the names and the chosen reason/tone are sent; never any health data.
Every answer is checked before use, and any failure raises ``LLMUnavailable`` so the caller can
fall back to the sentence-part engine.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from .choices import REASONS
from .drafts import MAX_WORDS, PLACEHOLDER_PATTERN, Draft, ExcuseInputs, word_count

logger = logging.getLogger(__name__)

MAX_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_TOKENS = 320
MAX_SUBJECT_CHARS = 150

SYSTEM_PROMPT = (
    "You write short, polite emails that decline a meeting invitation on behalf of an employee "
    "who is protecting their focus time. Write like a thoughtful professional: warm, direct, "
    "no clichés, no exaggeration, no emojis, no markdown. "
    "Rules: (1) Reply with exactly one line 'Subject: <subject>', then a blank line, then the "
    f"email body. (2) The body has at most {MAX_WORDS - 10} words. (3) Greet the organizer by "
    "the name given and mention the meeting by its exact title. (4) Give only the reason you "
    "are given; never invent events, appointments, illnesses or other details. (5) Include the "
    "alternative time if one is given, or the offer of a written update if requested. "
    "(6) End with a sign-off and the sender's name exactly as given. (7) Never use placeholders "
    "such as [Name] or brackets of any kind."
)

_TONE_HINTS = {
    "formal": "formal and courteous",
    "friendly": "friendly and warm, still professional",
    "brief": "brief: three or four short sentences",
}
# Words that would mean the model made up an event the sender did not choose.
_INVENTED_EVENTS = re.compile(
    r"\b(doctor|dentist|hospital|clinic|funeral|sick|illness|flu|emergency|wedding|surgery)\b",
    re.IGNORECASE,
)


class LLMUnavailable(Exception):
    """The language model could not be reached or gave an answer we will not use."""


@dataclass(frozen=True)
class LLMConfig:
    url: str
    model: str
    api_key: str = ""
    timeout: float = 8.0


def endpoint(url: str) -> str:
    """Accept either the full chat-completions URL or the API base (``…/v1``)."""
    url = url.rstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        raise LLMUnavailable("EXCUSE_LLM_URL must be an http(s) URL")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def user_prompt(inputs: ExcuseInputs) -> str:
    lines = [
        f"Meeting title: {inputs.meeting_title}",
        f"Organizer (greet by this name): {inputs.organizer_name}",
        f"Sender (sign with this name): {inputs.signature_name}",
        f"Reason for declining: {REASONS[inputs.reason]}",
        f"Tone: {_TONE_HINTS[inputs.tone]}",
    ]
    if inputs.meeting_when:
        lines.append(f"Meeting time: {inputs.meeting_when}")
    if inputs.alternative_when:
        lines.append(f"Propose this alternative time: {inputs.alternative_when}")
    if inputs.offer_async_update:
        lines.append("Offer to share updates in writing and catch up on the notes.")
    elif not inputs.alternative_when:
        lines.append("Offer to find another time if that would help.")
    return "\n".join(lines)


def request_draft(inputs: ExcuseInputs, *, config: LLMConfig, seed: int | None = None) -> Draft:
    """Ask the server for an email and return it only if it passes ``validate_answer``.

    Raises ``LLMUnavailable`` on timeouts, HTTP or protocol errors, and unusable answers.
    """
    payload = {
        "model": config.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_prompt(inputs)},
        ],
        "max_tokens": MAX_TOKENS,
        "temperature": 0.7,
        "n": 1,
        "stream": False,
    }
    if seed is not None:
        payload["seed"] = seed
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    request = urllib.request.Request(
        endpoint(config.url), data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    timeout = min(max(config.timeout, 0.1), MAX_TIMEOUT_SECONDS)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise LLMUnavailable(f"request failed: {exc}") from exc
    if len(raw) > MAX_RESPONSE_BYTES:
        raise LLMUnavailable("response too large")
    try:
        content = json.loads(raw)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMUnavailable(f"not a chat-completions response: {exc!r}") from exc
    if not isinstance(content, str):
        raise LLMUnavailable("answer is not text")
    return validate_answer(content, inputs)


_SUBJECT_LINE = re.compile(r"^\s*subject\s*:\s*(?P<subject>.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def validate_answer(content: str, inputs: ExcuseInputs) -> Draft:
    """Parse 'Subject: …' + body and refuse anything we would not want a person to send."""
    match = _SUBJECT_LINE.search(content)
    if match is None:
        raise LLMUnavailable("no subject line")
    subject = match.group("subject").strip().strip("*").strip()
    body = content[match.end() :].strip()
    if not subject or len(subject) > MAX_SUBJECT_CHARS:
        raise LLMUnavailable("subject missing or too long")
    if not body:
        raise LLMUnavailable("empty body")
    if word_count(body) > MAX_WORDS:
        raise LLMUnavailable("body too long")
    if inputs.meeting_title.casefold() not in body.casefold():
        raise LLMUnavailable("body does not name the meeting")
    if inputs.organizer_name.casefold() not in body.casefold():
        raise LLMUnavailable("body does not greet the organizer")
    if inputs.signature_name.casefold() not in body.casefold():
        raise LLMUnavailable("body is not signed with the sender's name")
    # The title is the user's own text: brackets in it ("[Ops] sync") are not placeholders.
    scrubbed = re.sub(re.escape(inputs.meeting_title), "", f"{subject}\n{body}", flags=re.I)
    if PLACEHOLDER_PATTERN.search(scrubbed):
        raise LLMUnavailable("answer contains a placeholder")
    if "**" in body or body.lstrip().startswith("#"):
        raise LLMUnavailable("answer uses markdown")
    if inputs.reason != "personal" and _INVENTED_EVENTS.search(body):
        raise LLMUnavailable("answer invents an event")
    return Draft(subject=subject, body=body)
