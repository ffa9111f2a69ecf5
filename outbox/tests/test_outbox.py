"""The outbox against a real broker: a private redis-server started by the test."""

import base64
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from outbox.models import OutboxMessage
from outbox.selectors import outbox_backlog, outbox_queued
from outbox.services import outbox_add, outbox_relay
from resonance.celery import app
from tests.support.servers import (
    PrivateRedis,
    free_port,
    private_redis_or_skip,
    reset_connection_pools,
)

TASK = "alerts.tasks.evaluate_alerts_after_checkin"


@pytest.fixture
def broker_at(tmp_path):
    """Point this process's Celery app at ``url`` (tasks published, not run in-process)."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def point(url: str) -> None:
        app.conf.update(broker_url=url, task_always_eager=False)
        reset_connection_pools(app)

    yield point
    app.conf.update(saved)
    reset_connection_pools(app)


@pytest.fixture
def redis_server(tmp_path):
    with private_redis_or_skip(tmp_path) as server:
        yield server


def _queued_in_broker(server: PrivateRedis) -> list[tuple[str, list]]:
    import redis

    client = redis.Redis.from_url(server.url)
    # kombu pushes on the left and workers pop on the right: oldest last.
    messages = [json.loads(raw) for raw in reversed(client.lrange("resonance", 0, -1))]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


def test_a_task_queued_in_a_rolled_back_transaction_is_never_sent(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_add(TASK, 1, "2026-12-07")
        raise RuntimeError("the change failed")
    assert outbox_queued(TASK) == []


def test_the_relay_sends_in_order_to_a_real_broker_and_empties_the_outbox(
    db, broker_at, redis_server
):
    broker_at(redis_server.url)
    outbox_add(TASK, 1, "2026-12-06")
    outbox_add(TASK, 2, "2026-12-07")
    assert outbox_backlog()["waiting"] == 2

    assert outbox_relay() == 2
    assert _queued_in_broker(redis_server) == [
        (TASK, [1, "2026-12-06"]),
        (TASK, [2, "2026-12-07"]),
    ]
    assert outbox_backlog() == {"waiting": 0, "oldest": None}
    assert outbox_relay() == 0  # nothing is sent twice


def test_with_the_broker_away_the_relay_keeps_the_task_and_says_why(db, broker_at):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    outbox_add(TASK, 1, "2026-12-07")
    assert outbox_relay() == 0
    message = OutboxMessage.objects.get()
    assert message.attempts == 1
    assert "Error" in message.last_error
    assert outbox_queued(TASK) == [[1, "2026-12-07"]]


def test_the_relay_command_sends_once_and_reports(db, broker_at, redis_server):
    broker_at(redis_server.url)
    outbox_add(TASK, 3, "2026-12-07")
    out = StringIO()
    call_command("relay_outbox", "--once", stdout=out)
    assert out.getvalue().strip() == "Sent 1 queued tasks."
    assert [task for task, _ in _queued_in_broker(redis_server)] == [TASK]


def test_two_relays_never_take_the_same_message(transactional_db, broker_at, redis_server):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL: run with DATABASE_URL=postgres://... (CI does).")
    broker_at(redis_server.url)
    held = outbox_add(TASK, 1, "2026-12-06")
    outbox_add(TASK, 2, "2026-12-07")
    locked, release = threading.Event(), threading.Event()

    def other_relay_holds_the_first() -> None:
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().filter(pk=held.pk))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=other_relay_holds_the_first)
    other.start()
    try:
        assert locked.wait(10)
        assert outbox_relay() == 1  # skips the locked row instead of waiting for it
        assert _queued_in_broker(redis_server) == [(TASK, [2, "2026-12-07"])]
    finally:
        release.set()
        other.join()
    assert outbox_queued(TASK) == [[1, "2026-12-06"]]


@pytest.fixture
def hung_broker():
    """A broker that accepts connections and never answers (a stuck Redis, a black-holed
    network): anything that talks to it waits for its timeouts."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def test_a_hung_broker_never_holds_a_checkin_request(
    db,
    broker_at,
    hung_broker,
    tiny_models,
    employee,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    import time

    from metrics.tests.media import audio_upload, image_upload

    broker_at(hung_broker)
    started = time.monotonic()
    # Whatever the request would do after its commit runs too, as in production.
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(employee).post(
            "/api/v1/sync/", {"image": image_upload(), "audio": audio_upload()}, format="multipart"
        )
    seconds = time.monotonic() - started

    assert response.status_code == 202, response.content
    assert seconds < 2, seconds  # publishing to this broker would wait 5 s or more
    assert outbox_queued("metrics.tasks.score_checkin") == [[response.json()["id"]]]
