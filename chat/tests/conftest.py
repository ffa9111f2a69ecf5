from collections.abc import Iterator

import pytest

from alerts.models import BurnoutAlert
from alerts.services import evaluation
from alerts.tests.conftest import ON, add_days
from chat.models import ChatRecipient, SlackWorkspace
from teams.tests.helpers import publish
from tests.factories import UserFactory

from .chat_servers import ChatServer

SLACK_TOKEN = "xoxb-1-resonance-test"


@pytest.fixture(scope="session")
def chat_server() -> Iterator[ChatServer]:
    """One Slack and Teams look-alike on a free port of 127.0.0.1 for the whole session."""
    server = ChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def chat(chat_server, settings, db) -> ChatServer:
    """The local server, emptied, with a connected Slack workspace pointing at it; retries
    without waiting (tests of the waits use a real worker)."""
    chat_server.reset()
    chat_server.tokens.add(SLACK_TOKEN)
    settings.SLACK_API_URL = chat_server.slack_url
    settings.CHAT_ALLOW_HTTP_WEBHOOKS = True
    settings.CHAT_SITE_URL = "https://resonance.example.com"
    settings.CHAT_REQUEST_TIMEOUT = 3.0
    settings.CHAT_MAX_RETRIES = 3
    SlackWorkspace.objects.create(name="Acme Slack", bot_token=SLACK_TOKEN)
    return chat_server


def in_slack(server: ChatServer, *users) -> None:
    """Give each user a Slack account with their email address; its id is ``U`` + username."""
    for user in users:
        server.users_by_email[user.email.lower()] = slack_id(user)


def slack_id(user) -> str:
    return f"U{user.username.upper()}"


def with_teams_webhook(server: ChatServer, user, name: str | None = None) -> str:
    url = server.teams_url(name or user.username)
    ChatRecipient.objects.update_or_create(user=user, defaults={"teams_webhook_url": url})
    return url


# Each member's own week: distinctive numbers that must never reach a chat message.
OWN_FLOWS = [41.13, 43.27, 45.31, 46.77, 48.52]


@pytest.fixture
def crew(team, employee, teammate):
    return [employee, teammate, *[UserFactory(team=team) for _ in range(3)]]


@pytest.fixture
def raise_team_alert(crew, django_capture_on_commit_callbacks):
    """The production path: published low weeks, the daily evaluation, its notification."""

    def run() -> BurnoutAlert:
        for member, flow in zip(crew, OWN_FLOWS, strict=True):
            add_days(member, [flow] * 7)
        publish(through=ON)
        with django_capture_on_commit_callbacks(execute=True):
            evaluation.alerts_evaluate(on_date=ON)
        return BurnoutAlert.objects.get(scope="team")

    return run
