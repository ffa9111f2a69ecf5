"""Rate limits, dead destinations and retries: every message is its own task, so one failing
destination never holds up the others, and a message that was accepted is never posted twice."""

import datetime as dt
import socket

import pytest
from django.db import connection

from chat.models import ChatDelivery, ChatRecipient, SlackWorkspace
from chat.services import chat_reminders_queue, retry_delay
from chat.tasks import deliver_chat_message

from .chat_servers import DROP, Answer, rate_limited
from .conftest import in_slack, slack_id, with_teams_webhook

pytestmark = pytest.mark.django_db

DUE = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)  # 17:00 in UTC, the default time zone


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run(now: dt.datetime = DUE) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            chat_reminders_queue(now=now)

    return run


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_slack_rate_limit_is_retried_and_then_delivered_once(chat, employee, remind):
    in_slack(chat, employee)
    chat.answer_next("/api/chat.postMessage", rate_limited(7))

    remind()

    delivery = ChatDelivery.objects.get(recipient=employee)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(chat.calls("/api/chat.postMessage")) == 2
    assert len(chat.slack_dms_to(slack_id(employee))) == 1


def test_a_teams_rate_limit_and_a_server_error_are_retried(chat, employee, remind):
    with_teams_webhook(chat, employee)
    chat.answer_next("/teams/erin", rate_limited(3, slack=False), Answer(502, "Bad gateway"))
    remind()
    teams = ChatDelivery.objects.get(recipient=employee, destination="teams")
    assert (teams.status, teams.attempts) == ("sent", 3)
    assert len(chat.teams_posts("erin")) == 1


def test_the_wait_is_the_retry_after_when_it_is_longer_than_the_backoff(settings):
    settings.CHAT_RETRY_BACKOFF = 15.0
    settings.CHAT_RETRY_BACKOFF_MAX = 900.0
    assert retry_delay(attempt=1, retry_after=None) == 15.0
    assert retry_delay(attempt=3, retry_after=None) == 60.0
    assert retry_delay(attempt=3, retry_after=120.0) == 120.0
    assert retry_delay(attempt=2, retry_after=5.0) == 30.0
    assert retry_delay(attempt=10, retry_after=None) == 900.0


def test_a_dead_teams_webhook_is_logged_and_the_others_still_get_theirs(
    chat, employee, teammate, remind, settings
):
    in_slack(chat, employee, teammate)
    dead = f"http://127.0.0.1:{_closed_port()}/teams/gone"
    ChatRecipient.objects.create(user=employee, teams_webhook_url=dead)
    with_teams_webhook(chat, teammate)

    remind()

    failed = ChatDelivery.objects.get(recipient=employee, destination="teams")
    assert failed.status == "failed"
    assert failed.attempts == settings.CHAT_MAX_RETRIES + 1
    assert "Could not connect to the Teams webhook" in failed.last_error
    assert "Gave up after all retries" in failed.last_error
    assert len(chat.slack_dms_to(slack_id(employee))) == 1
    assert len(chat.slack_dms_to(slack_id(teammate))) == 1
    assert len(chat.teams_posts("tomas")) == 1


def test_a_revoked_bot_token_fails_at_once_and_teams_still_delivers(chat, employee, remind):
    in_slack(chat, employee)
    with_teams_webhook(chat, employee)
    SlackWorkspace.objects.update(bot_token="xoxb-revoked")

    remind()

    slack = ChatDelivery.objects.get(recipient=employee, destination="slack")
    assert (slack.status, slack.attempts) == ("failed", 1)
    assert "invalid_auth" in slack.last_error and "Admin → Slack workspaces" in slack.last_error
    assert len(chat.teams_posts("erin")) == 1


def test_a_connection_dropped_while_posting_is_not_posted_again(chat, employee, remind):
    """Slack may have accepted it before the connection dropped: a duplicate is worse than a
    missed reminder, so it is logged, not retried."""
    in_slack(chat, employee)
    chat.answer_next("/api/chat.postMessage", DROP)
    remind()
    delivery = ChatDelivery.objects.get(recipient=employee)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "may have arrived" in delivery.last_error
    assert len(chat.calls("/api/chat.postMessage")) == 1


def test_a_dropped_lookup_is_retried_because_nothing_was_posted(chat, employee, remind):
    in_slack(chat, employee)
    chat.answer_next("/api/users.lookupByEmail", DROP)
    remind()
    assert ChatDelivery.objects.get(recipient=employee).status == "sent"
    assert len(chat.slack_dms_to(slack_id(employee))) == 1


def test_running_the_task_again_after_success_posts_nothing(chat, employee, remind):
    in_slack(chat, employee)
    remind()
    delivery = ChatDelivery.objects.get(recipient=employee)

    result = deliver_chat_message.apply(args=[delivery.pk]).get()

    assert result == {"delivery": delivery.pk, "status": "sent", "attempts": 0}
    assert len(chat.calls("/api/chat.postMessage")) == 1


def test_a_teams_webhook_that_refuses_the_message_fails_without_retries(chat, employee, remind):
    with_teams_webhook(chat, employee)
    chat.answer_next("/teams/erin", Answer(400, {"error": {"code": "InvalidRequestContent"}}))
    remind()
    teams = ChatDelivery.objects.get(recipient=employee, destination="teams")
    assert (teams.status, teams.attempts) == ("failed", 1)
    assert "HTTP 400" in teams.last_error and "InvalidRequestContent" in teams.last_error


def test_a_slack_user_id_that_went_stale_is_looked_up_again_next_time(chat, employee, remind):
    in_slack(chat, employee)
    ChatRecipient.objects.create(
        user=employee, slack_user_id="UGONE", slack_looked_up_at=dt.datetime.now(dt.UTC)
    )
    remind()
    assert ChatDelivery.objects.get(recipient=employee).status == "failed"
    assert ChatRecipient.objects.get(user=employee).slack_user_id == ""

    ChatDelivery.objects.all().delete()
    remind()
    assert ChatDelivery.objects.get(recipient=employee).status == "sent"
    assert ChatRecipient.objects.get(user=employee).slack_user_id == slack_id(employee)


def test_a_secret_that_cannot_be_decrypted_says_so(chat, employee, remind):
    """After SECRET_KEY changes without a fallback, the field hands back its ciphertext."""
    in_slack(chat, employee)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE chat_slackworkspace SET bot_token = 'gAAAAABunreadable'")
    remind()
    delivery = ChatDelivery.objects.get(recipient=employee)
    assert delivery.status == "failed"
    assert "cannot be decrypted" in delivery.last_error and "SECRET_KEY" in delivery.last_error
    assert chat.requests == []


def test_someone_without_a_slack_account_is_not_tried_every_day(chat, employee, remind):
    remind()  # no Slack account has the employee's email address
    assert ChatDelivery.objects.get(recipient=employee).status == "failed"
    chat.requests.clear()

    remind(DUE + dt.timedelta(days=1))
    assert chat.requests == []
    assert ChatDelivery.objects.count() == 1

    # Once they join Slack (and the pause is over), reminders reach them again.
    in_slack(chat, employee)
    ChatRecipient.objects.update(slack_not_found_at=DUE - dt.timedelta(days=30))
    remind(DUE + dt.timedelta(days=2))
    assert len(chat.slack_dms_to(slack_id(employee))) == 1


def test_an_unexpected_error_is_logged_as_failed_not_left_sending(chat, employee):
    delivery = ChatDelivery.objects.create(
        key="reminder:slack:broken",
        destination="slack",
        kind="reminder",
        recipient=employee,
        payload={"no": "title"},
    )
    deliver_chat_message.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.last_error == "Unexpected error (KeyError); the worker log has the details."
    assert chat.requests == []
