"""What operators and people see: failures in admin and /healthz, secrets kept encrypted and
never shown back, the person's own chat preferences, erasure."""

import datetime as dt
import socket

import pytest
from django.db import connection
from django.test import Client

from chat.models import ChatDelivery, ChatRecipient, SlackWorkspace
from chat.services import chat_reminders_queue
from metrics.services.erasure import my_data_erase

from .conftest import SLACK_TOKEN, in_slack, with_teams_webhook

pytestmark = pytest.mark.django_db

DUE = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run(now: dt.datetime = DUE) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            chat_reminders_queue(now=now)

    return run


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/teams/gone"


def test_healthz_names_the_failing_destination_kind_without_internals(
    chat, client, admin_client, employee, teammate, remind, tiny_models
):
    assert client.get("/healthz").json()["chat"] == {"ok": True}
    in_slack(chat, employee, teammate)
    ChatRecipient.objects.create(user=employee, teams_webhook_url=_dead_url())

    remind()

    response = client.get("/healthz")
    public = response.json()["chat"]
    assert public["ok"] is False and public["failing"] == ["teams"]
    assert "Teams webhook URLs" in public["error"] and "Admin → Chat deliveries" in public["error"]
    assert set(public) == {"ok", "failing", "error"}
    assert "127.0.0.1" not in response.content.decode()
    # Notifications are degraded, the service is not: no 503 for a chat failure alone.
    assert response.status_code == 200
    detail = admin_client.get("/healthz").json()["chat"]["detail"]
    assert detail["teams"]["people"] == 1
    assert "Could not connect to the Teams webhook" in detail["teams"]["latest_error"]


def test_a_later_success_clears_the_failure_in_healthz(chat, client, employee, remind):
    SlackWorkspace.objects.update(bot_token="xoxb-revoked")
    in_slack(chat, employee)
    remind()
    assert client.get("/healthz").json()["chat"]["failing"] == ["slack"]

    SlackWorkspace.objects.update(bot_token=SLACK_TOKEN)
    remind(DUE + dt.timedelta(days=1))

    assert ChatDelivery.objects.filter(status="sent").count() == 1
    assert client.get("/healthz").json()["chat"] == {"ok": True}


def test_admin_lists_failed_deliveries_with_the_reason(chat, admin_client, employee, remind):
    ChatRecipient.objects.create(user=employee, teams_webhook_url=_dead_url())
    remind()
    page = admin_client.get("/admin/chat/chatdelivery/?status__exact=failed").content.decode()
    assert "Could not connect to the Teams webhook" in page
    assert "Gave up after all retries" in page


def test_admin_can_send_failed_messages_again(
    chat, admin_client, employee, remind, django_capture_on_commit_callbacks
):
    in_slack(chat, employee)
    chat.answer_next("/api/chat.postMessage", "drop")
    remind()
    failed = ChatDelivery.objects.get()
    assert failed.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/chat/chatdelivery/",
            {"action": "send_again", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert len(chat.slack_messages()) == 1


def test_the_workspace_connection_test_reports_slacks_answer(chat, admin_client):
    workspace = SlackWorkspace.objects.get()
    response = admin_client.post(
        "/admin/chat/slackworkspace/",
        {"action": "test_connection", "_selected_action": [workspace.pk]},
        follow=True,
    )
    assert "connected to Slack workspace Acme" in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.team_name == "Acme" and workspace.checked_at is not None

    SlackWorkspace.objects.update(bot_token="xoxb-revoked")
    response = admin_client.post(
        "/admin/chat/slackworkspace/",
        {"action": "test_connection", "_selected_action": [workspace.pk]},
        follow=True,
    )
    assert "invalid_auth" in response.content.decode()


def test_secrets_are_stored_encrypted_and_never_shown_back(chat, admin_client, manager):
    url = with_teams_webhook(chat, manager, "maya-secret-signature")
    workspace = SlackWorkspace.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT bot_token FROM chat_slackworkspace")
        (stored_token,) = cursor.fetchone()
        cursor.execute("SELECT teams_webhook_url FROM chat_chatrecipient")
        (stored_url,) = cursor.fetchone()
    assert SLACK_TOKEN not in stored_token and "maya-secret-signature" not in stored_url

    page = admin_client.get(f"/admin/chat/slackworkspace/{workspace.pk}/change/").content.decode()
    assert SLACK_TOKEN not in page
    recipient = ChatRecipient.objects.get(user=manager)
    page = admin_client.get(f"/admin/chat/chatrecipient/{recipient.pk}/change/").content.decode()
    assert "maya-secret-signature" not in page and url not in page


def test_admin_keeps_a_secret_left_empty_and_refuses_a_bad_one(
    chat, admin_client, manager, settings
):
    url = with_teams_webhook(chat, manager)
    recipient = ChatRecipient.objects.get(user=manager)
    change = f"/admin/chat/chatrecipient/{recipient.pk}/change/"
    form = {
        "user": manager.pk,
        "reminders_enabled": "on",
        "alerts_enabled": "on",
        "teams_webhook_url": "",
        "slack_user_id": "",
    }
    assert admin_client.post(change, form).status_code == 302
    recipient.refresh_from_db()
    assert recipient.teams_webhook_url == url

    settings.CHAT_ALLOW_HTTP_WEBHOOKS = False
    response = admin_client.post(change, {**form, "teams_webhook_url": "http://example.com/x"})
    assert response.status_code == 200
    assert "must use https://" in response.content.decode()

    assert admin_client.post(change, {**form, "remove_teams_webhook": "on"}).status_code == 302
    recipient.refresh_from_db()
    assert not recipient.teams_webhook_url

    workspace = SlackWorkspace.objects.get()
    response = admin_client.post(
        f"/admin/chat/slackworkspace/{workspace.pk}/change/",
        {"name": "Acme Slack", "bot_token": "not-a-token", "enabled": "on"},
    )
    assert "starts with xoxb-" in response.content.decode()


def test_people_turn_their_own_chat_messages_off(chat, client, employee, remind):
    in_slack(chat, employee)
    client.force_login(employee)
    page = client.get("/chat/preferences/").content.decode()
    assert "Acme Slack" in page and "checked" in page

    response = client.post("/chat/preferences/", {"alerts_enabled": "on"})

    assert response.status_code == 302
    recipient = ChatRecipient.objects.get(user=employee)
    assert (recipient.reminders_enabled, recipient.alerts_enabled) == (False, True)
    remind()
    assert chat.calls("/api/chat.postMessage") == []


def test_erasure_forgets_who_was_reminded_when(chat, employee, teammate, remind):
    in_slack(chat, employee, teammate)
    remind()
    assert ChatDelivery.objects.count() == 2

    result = my_data_erase(user=employee)

    assert result["chat_reminders"] == 1
    assert list(ChatDelivery.objects.values_list("recipient", flat=True)) == [teammate.pk]
