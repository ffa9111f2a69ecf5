"""Talking to Slack (Web API, through slack-sdk) and Teams (a Workflows webhook).

Every failure becomes a ``DeliveryError`` with a sentence an admin can act on, and says whether
trying again later is safe: a rate limit, a server error or a refused connection is (nothing
was posted); a timeout or a connection dropped while a message was being posted is not (it may
have arrived, and a second try could post it twice).
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError
from urllib.parse import urlsplit

import requests
from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from urllib3.exceptions import MaxRetryError, NewConnectionError

from .messages import ChatMessage, slack_blocks, teams_card

# Slack errors that no retry will fix: the token or the app's set-up is wrong.
SLACK_TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "not_allowed_token_type",
    "team_access_not_granted",
}
# Slack errors that mean the cached person (or their direct-message channel) is gone.
SLACK_PERSON_ERRORS = {"users_not_found", "user_not_found", "user_disabled", "channel_not_found"}


class DeliveryError(Exception):
    def __init__(
        self,
        message: str,
        *,
        retry: bool,
        retry_after: float | None = None,
        person_unknown: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.retry_after = retry_after
        self.person_unknown = person_unknown


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_refused(error: BaseException) -> bool:
    """The connection was never made (refused, no such host, connect timeout): nothing sent."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


# --- Slack -------------------------------------------------------------------------------


def slack_client(token: str) -> WebClient:
    # No retry handlers: slack-sdk would retry a dropped connection inside this call, which
    # can post a message twice; retries are the task's, after a wait.
    return WebClient(
        token=token,
        base_url=settings.SLACK_API_URL.rstrip("/") + "/",
        timeout=int(settings.CHAT_REQUEST_TIMEOUT),
        retry_handlers=[],
    )


@contextmanager
def _slack_errors(step: str, *, may_post: bool = False) -> Iterator[None]:
    host = urlsplit(settings.SLACK_API_URL).netloc
    try:
        yield
    except SlackApiError as exc:
        status = exc.response.status_code
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if status == 429:
            wait = retry_after_seconds(exc.response.headers.get("Retry-After"))
            raise DeliveryError(
                f"Slack rate-limited {step} (HTTP 429, Retry-After: "
                f"{wait if wait is not None else 'none'}).",
                retry=True,
                retry_after=wait,
            ) from exc
        if status >= 500:
            raise DeliveryError(
                f"Slack answered {step} with a server error (HTTP {status}).",
                retry=True,
            ) from exc
        if code in SLACK_TOKEN_ERRORS:
            raise DeliveryError(
                f"Slack refused the bot token ({code}) during {step}: check the token and the "
                "app's scopes under Admin → Slack workspaces.",
                retry=False,
            ) from exc
        if code in SLACK_PERSON_ERRORS:
            raise DeliveryError(
                f"Slack has no reachable user for this person ({code}) during {step}: their "
                "email address in Resonance must match their Slack profile.",
                retry=False,
                person_unknown=True,
            ) from exc
        raise DeliveryError(
            f"Slack refused {step} ({code or f'HTTP {status}'}).", retry=False
        ) from exc
    except (URLError, OSError, http.client.HTTPException, SlackClientError) as exc:
        if _is_refused(exc) or not may_post:
            raise DeliveryError(
                f"Could not reach Slack at {host} during {step} ({_reason(exc)}).",
                retry=True,
            ) from exc
        raise DeliveryError(
            f"The connection to Slack at {host} broke while the message was being posted "
            f"({_reason(exc)}); it may have arrived, so it is not sent again.",
            retry=False,
        ) from exc


def _reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    return str(reason) or type(reason).__name__


def slack_user_id_by_email(client: WebClient, email_address: str) -> str:
    with _slack_errors("the user lookup (users.lookupByEmail)"):
        response = client.users_lookupByEmail(email=email_address)
    return str(response["user"]["id"])


def slack_connection_check(client: WebClient) -> str:
    """auth.test: the workspace's name, or a DeliveryError saying why the token fails."""
    with _slack_errors("the connection test (auth.test)"):
        response = client.auth_test()
    return str(response.get("team") or "")


def slack_direct_message(client: WebClient, slack_user_id: str, message: ChatMessage) -> str:
    """Open (or find) the direct-message channel with the person and post there; returns the
    message's timestamp id."""
    with _slack_errors("opening the direct message (conversations.open)"):
        channel = client.conversations_open(users=slack_user_id)["channel"]["id"]
    with _slack_errors("posting the message (chat.postMessage)", may_post=True):
        response = client.chat_postMessage(
            channel=channel,
            text=message.fallback_text,
            blocks=slack_blocks(message),
            unfurl_links=False,
        )
    return str(response.get("ts") or "")


# --- Microsoft Teams ---------------------------------------------------------------------


def _requests_refused(exc: requests.ConnectionError) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    inner = exc.args[0] if exc.args else None
    return isinstance(inner, MaxRetryError) and isinstance(inner.reason, NewConnectionError)


def teams_webhook_post(url: str, message: ChatMessage) -> None:
    """Post the message's card to a Teams Workflows webhook (200 or 202: accepted)."""
    host = urlsplit(url).hostname or "the webhook"
    try:
        response = requests.post(
            url,
            json=teams_card(message),
            timeout=settings.CHAT_REQUEST_TIMEOUT,
            allow_redirects=False,
        )
    except requests.ConnectionError as exc:
        if _requests_refused(exc):
            raise DeliveryError(
                f"Could not connect to the Teams webhook at {host}.", retry=True
            ) from exc
        raise DeliveryError(
            f"The connection to the Teams webhook at {host} broke while posting; the message "
            "may have arrived, so it is not sent again.",
            retry=False,
        ) from exc
    except requests.Timeout as exc:
        raise DeliveryError(
            f"The Teams webhook at {host} did not answer in {settings.CHAT_REQUEST_TIMEOUT:g} s; "
            "the message may have arrived, so it is not sent again.",
            retry=False,
        ) from exc
    except requests.RequestException as exc:
        raise DeliveryError(f"The Teams webhook URL could not be used: {exc}", retry=False) from exc
    _raise_for_teams_status(response, host)


def _raise_for_teams_status(response: requests.Response, host: str) -> None:
    status = response.status_code
    if status in (200, 201, 202):
        return
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise DeliveryError(
            f"The Teams webhook at {host} is rate-limited (HTTP 429, Retry-After: "
            f"{wait if wait is not None else 'none'}).",
            retry=True,
            retry_after=wait,
        )
    if status >= 500:
        raise DeliveryError(
            f"The Teams webhook at {host} answered with a server error (HTTP {status}).",
            retry=True,
        )
    detail = _short(response.text)
    hint = (
        "the flow is gone or turned off: make a new webhook and paste its URL in admin"
        if status in (401, 403, 404)
        else "the flow refused the message"
    )
    raise DeliveryError(
        f"The Teams webhook at {host} answered HTTP {status}: {hint}"
        + (f" ({detail})." if detail else "."),
        retry=False,
    )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
