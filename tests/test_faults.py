"""Fault tests: real Celery worker processes, a private Redis and the PostgreSQL test database.

Each test breaks one thing the way production breaks (a SIGKILLed worker, the broker gone, the
database dropping every connection, a damaged model file) and checks that every accepted
check-in is still scored exactly once: one ``done`` row, one ``DailyMetric`` contribution.

The broker is a private ``redis-server`` on a free port (stopped and started by the tests);
the machine's shared Redis and PostgreSQL server are never stopped. A PostgreSQL restart is
simulated with ``pg_terminate_backend`` on the worker's connections, which is what a restart
does to its clients.
"""

import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from inference.registry import register_model_file
from inference.testing import write_tiny_model
from metrics.models import CheckIn, DailyMetric
from metrics.services import housekeeping
from metrics.tests.media import audio_upload, image_upload
from outbox.models import OutboxMessage

from .support.servers import (
    RelayProcess,
    WorkerProcess,
    database_url,
    private_redis_or_skip,
    reset_connection_pools,
)
from .support.servers import wait_until as _wait_until

pytestmark = pytest.mark.integration

WORKER_APP_NAME = "resonance-fault-worker"
RELAY_APP_NAME = "resonance-fault-relay"


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Fault tests need PostgreSQL and a worker process: run with "
            "DATABASE_URL=postgres://... (CI does)."
        )


@pytest.fixture
def redis_server(postgres, tmp_path):
    with private_redis_or_skip(tmp_path) as server:
        yield server


@pytest.fixture
def broker(redis_server):
    """This process publishes to the private Redis instead of running tasks in-process."""
    from resonance.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    reset_connection_pools(app)
    yield redis_server
    app.conf.update(saved)
    reset_connection_pools(app)


@pytest.fixture
def relay(broker, settings, tmp_path):
    """The outbox relay, as production runs it: sends what requests queue to the broker."""
    process = RelayProcess(
        broker_url=broker.url,
        db_url=database_url(RELAY_APP_NAME),
        media_root=Path(settings.MEDIA_ROOT),
        workdir=tmp_path,
    )
    yield process.start()
    process.stop()


@pytest.fixture
def start_worker(broker, relay, settings, tmp_path):
    """Start a worker process on the private Redis and the test database; stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(
            broker_url=broker.url,
            db_url=database_url(WORKER_APP_NAME),
            media_root=Path(settings.MEDIA_ROOT),
            workdir=tmp_path,
            extra_env=extra_env,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


def _submit(client) -> int:
    response = client.post(
        "/api/v1/sync/",
        {"image": image_upload(), "audio": audio_upload(), "hours_worked": "8"},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def _status(checkin_id: int) -> str:
    return CheckIn.objects.values_list("status", flat=True).get(pk=checkin_id)


def _wait_for(checkin_ids: list[int], states: set[str], timeout: float, workers=()) -> None:
    def reached() -> bool:
        return all(_status(pk) in states for pk in checkin_ids)

    if not _wait_until(reached, timeout, interval=0.3):
        rows = list(CheckIn.objects.filter(pk__in=checkin_ids).values("pk", "status", "attempts"))
        logs = "\n".join(w.log()[-3000:] for w in workers)
        pytest.fail(f"check-ins did not reach {states} in {timeout}s: {rows}\n{logs}")


def _assert_scored_once(user, checkin_ids: list[int]) -> None:
    rows = CheckIn.objects.filter(pk__in=checkin_ids)
    assert set(rows.values_list("status", flat=True)) == {CheckIn.Status.DONE}
    assert all(not c.image and not c.audio for c in rows), "raw media deleted after scoring"
    days = DailyMetric.objects.filter(user=user)
    # One daily row per day, counting each check-in once: no double contribution.
    assert sum(days.values_list("checkin_count", flat=True)) == len(checkin_ids)
    assert days.count() == len({c.local_date for c in rows})


def test_sigkilled_worker_mid_task_redelivers_and_scores_once(
    start_worker, tiny_models, employee, api_client_for, tmp_path
):
    # Production keeps visibility timeout (600 s) > hard limit + claim grace (210 s); scaled
    # down here to 4 s > 2 s so the redelivered message may take over the dead worker's claim.
    timing = {"CELERY_VISIBILITY_TIMEOUT": "4", "FAULT_TIME_LIMIT": "2"}
    doomed = start_worker(FAULT_SCORING_DELAY="60", **timing)
    checkin_id = _submit(api_client_for(employee))

    marker = tmp_path / f"scoring-{checkin_id}"
    assert _wait_until(marker.exists, 30), doomed.log()[-3000:]
    assert _status(checkin_id) == CheckIn.Status.PROCESSING
    doomed.kill()
    assert _status(checkin_id) == CheckIn.Status.PROCESSING  # nothing cleaned up after it

    # The message was never acknowledged: Redis hands it to the next worker.
    survivor = start_worker(**timing)
    _wait_for([checkin_id], {CheckIn.Status.DONE}, timeout=40, workers=[survivor])
    _assert_scored_once(employee, [checkin_id])
    assert CheckIn.objects.get(pk=checkin_id).attempts == 2
    assert "Task metrics.tasks.score_checkin[" in survivor.log()  # it ran there, redelivered

    # A later sweep finds nothing to resend, so nothing is scored twice.
    assert housekeeping.checkins_sweep_stuck()["enqueued"] == 0
    time.sleep(1)
    _assert_scored_once(employee, [checkin_id])


def test_broker_down_at_submit_is_accepted_at_once_and_sent_when_it_is_back(
    start_worker, broker, relay, tiny_models, employee, api_client_for
):
    worker = start_worker()
    client = api_client_for(employee)
    broker.stop()

    started = time.monotonic()
    checkin_id = _submit(client)  # stored with its task in the outbox; no broker involved
    accept_seconds = time.monotonic() - started
    assert accept_seconds < 2, accept_seconds
    status = client.get(f"/api/v1/sync/{checkin_id}/").json()
    assert status["status"] == "pending"

    # The relay keeps trying and keeps the task while the broker is away.
    assert _wait_until(lambda: OutboxMessage.objects.filter(attempts__gte=1).exists(), 30), (
        relay.log()[-3000:]
    )
    assert CheckIn.objects.get(pk=checkin_id).attempts == 0

    broker.start()  # same port, empty
    _wait_for([checkin_id], {CheckIn.Status.DONE}, timeout=60, workers=[worker, relay])
    _assert_scored_once(employee, [checkin_id])
    assert CheckIn.objects.get(pk=checkin_id).attempts == 1
    assert not OutboxMessage.objects.filter(task="metrics.tasks.score_checkin").exists()
    assert housekeeping.checkins_sweep_stuck()["enqueued"] == 0


def _terminate_worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            [WORKER_APP_NAME],
        )
        return cursor.fetchone()[0]


def test_database_connections_dropped_while_worker_runs_tasks_retry_and_succeed(
    start_worker, tiny_models, employee, api_client_for, tmp_path
):
    worker = start_worker(FAULT_SCORING_DELAY="2")
    client = api_client_for(employee)
    checkin_id = _submit(client)
    marker = tmp_path / f"scoring-{checkin_id}"

    # Dropped twice while the claim is held and the models run: on the first run and on its
    # retry (a restart that takes a while). Each time the claim is released and retried.
    for _ in range(2):
        assert _wait_until(marker.exists, 30), worker.log()[-3000:]
        marker.unlink()
        assert _terminate_worker_connections() >= 1
    _wait_for([checkin_id], {CheckIn.Status.DONE}, timeout=40, workers=[worker])
    assert CheckIn.objects.get(pk=checkin_id).attempts == 3

    # The same worker goes on scoring new check-ins.
    other = _submit(client)
    _wait_for([other], {CheckIn.Status.DONE}, timeout=30, workers=[worker])
    _assert_scored_once(employee, [checkin_id, other])
    assert worker.log().count("terminating connection due to administrator command") >= 2
    assert worker.alive()


def test_corrupt_active_model_fails_clearly_then_retry_succeeds_with_a_good_model(
    start_worker, tiny_models, employee, api_client_for, tmp_path
):
    damaged = write_tiny_model(tmp_path / "models", "fatigue", version="fault-1")
    register_model_file(damaged, activate=True)
    damaged.write_bytes(damaged.read_bytes()[:64])  # truncated on disk after registration
    worker = start_worker()
    client = api_client_for(employee)

    ids = [_submit(client), _submit(client)]
    _wait_for(ids, {CheckIn.Status.FAILED}, timeout=40, workers=[worker])
    for checkin_id in ids:
        status = client.get(f"/api/v1/sync/{checkin_id}/").json()
        assert status["status"] == "failed"
        assert "fatigue" in status["failure_reason"]
        assert "sha256" in status["failure_reason"]
    assert not DailyMetric.objects.filter(user=employee).exists()
    assert all(c.image and c.audio for c in CheckIn.objects.filter(pk__in=ids)), "upload kept"

    good = write_tiny_model(tmp_path / "models", "fatigue", version="fault-2")
    register_model_file(good, activate=True)
    call_command("retry_checkins")
    _wait_for(ids, {CheckIn.Status.DONE}, timeout=40, workers=[worker])
    _assert_scored_once(employee, ids)
    for checkin in CheckIn.objects.filter(pk__in=ids):
        assert checkin.model_versions["fatigue"] == "fault-2"
        assert checkin.attempts == 2
        assert checkin.failure_reason == ""
