"""A real Celery worker on Redis delivers chat messages (PostgreSQL): it waits out Slack's
Retry-After before trying again, and a dead destination does not hold up the others."""

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection

from chat.models import ChatDelivery, ChatRecipient
from chat.services import chat_reminders_queue
from outbox.services import outbox_relay
from tests.support.servers import (
    WorkerProcess,
    database_url,
    free_port,
    private_redis_or_skip,
    reset_connection_pools,
    wait_until,
)

from .chat_servers import rate_limited
from .conftest import in_slack, slack_id, with_teams_webhook

pytestmark = pytest.mark.integration

DUE = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)
RETRY_AFTER = 2


@pytest.fixture
def broker(tmp_path):
    from resonance.celery import app

    with private_redis_or_skip(tmp_path) as redis:
        saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
        app.conf.update(broker_url=redis.url, task_always_eager=False)
        reset_connection_pools(app)
        yield redis
        app.conf.update(saved)
        reset_connection_pools(app)


def test_a_real_worker_waits_for_retry_after_and_isolates_a_dead_destination(
    transactional_db, chat, broker, employee, teammate, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does).")
    in_slack(chat, employee, teammate)
    dead = f"http://127.0.0.1:{free_port()}/teams/gone"
    ChatRecipient.objects.create(user=employee, teams_webhook_url=dead)
    with_teams_webhook(chat, teammate)
    chat.answer_next("/api/chat.postMessage", rate_limited(RETRY_AFTER))
    worker = WorkerProcess(
        broker_url=broker.url,
        db_url=database_url("chat-worker"),
        media_root=Path(settings.MEDIA_ROOT),
        workdir=tmp_path,
        app="resonance",
        extra_env={
            "SECRET_KEY": settings.SECRET_KEY,  # the key the test process encrypted with
            "SLACK_API_URL": chat.slack_url,
            "CHAT_ALLOW_HTTP_WEBHOOKS": "true",
            "CHAT_RETRY_BACKOFF": "0.2",
            "CHAT_MAX_RETRIES": "2",
        },
    ).start()
    try:
        chat_reminders_queue(now=DUE)
        assert outbox_relay() == 4  # Slack and Teams for each of the two

        def settled() -> bool:
            return not ChatDelivery.objects.exclude(status__in=["sent", "failed"]).exists()

        assert wait_until(settled, timeout=60), worker.log()[-3000:]
    finally:
        worker.stop()

    statuses = dict(ChatDelivery.objects.values_list("key", "last_error"))
    assert sorted(ChatDelivery.objects.values_list("status", flat=True)) == [
        "failed",
        "sent",
        "sent",
        "sent",
    ], statuses
    dead_delivery = ChatDelivery.objects.get(recipient=employee, destination="teams")
    assert dead_delivery.status == "failed" and dead_delivery.attempts == 3
    assert "Could not connect" in dead_delivery.last_error
    assert len(chat.teams_posts("tomas")) == 1
    # One of the two Slack messages was rate-limited first: its retry came after Retry-After.
    posts = chat.calls("/api/chat.postMessage")
    assert len(posts) == 3
    limited, retried = (
        posts[0],
        next(p for p in posts[1:] if p.body["channel"] == posts[0].body["channel"]),
    )
    assert retried.at - limited.at >= RETRY_AFTER
    assert {m.body["channel"] for m in chat.slack_messages()} == {
        f"D{slack_id(employee)}",
        f"D{slack_id(teammate)}",
    }
