"""A real Celery worker on Redis scores a check-in submitted through the API (PostgreSQL)."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from bench.celery_worker import celery_worker_command, outbox_relay_command
from metrics.models import CheckIn, DailyMetric
from tests.support.servers import private_redis_or_skip, reset_connection_pools

from .media import audio_upload, image_upload

pytestmark = pytest.mark.integration

# A Redis database the test run was given (CI: TEST_REDIS_URL); without one the test starts
# its own redis-server, so it never empties a database someone else uses.
GIVEN_REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def redis_broker(tmp_path):
    import redis

    if GIVEN_REDIS_URL is None:
        with private_redis_or_skip(tmp_path) as server:
            yield server.url
        return
    client = redis.Redis.from_url(GIVEN_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {GIVEN_REDIS_URL}: {exc}")
    client.flushdb()  # the database the run was given for these tests
    yield GIVEN_REDIS_URL
    client.flushdb()


@pytest.fixture
def publish_to_broker(redis_broker):
    """Make this process publish tasks to Redis instead of running them in-process."""
    from resonance.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_broker, task_always_eager=False)
    reset_connection_pools(app)
    yield app
    app.conf.update(saved)
    reset_connection_pools(app)


@pytest.fixture
def celery_worker_process(publish_to_broker, settings, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": publish_to_broker.conf.broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RESONANCE_VAR_DIR": str(tmp_path / "var"),
        "ORT_INTRA_OP_THREADS": "1",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        celery_worker_command("resonance", "--concurrency=1"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    relay_log = (tmp_path / "relay.log").open("w")
    relay = subprocess.Popen(
        outbox_relay_command("--interval", "0.1"),
        cwd=ROOT,
        env=env,
        stdout=relay_log,
        stderr=subprocess.STDOUT,
    )
    yield process, tmp_path / "worker.log"
    for started in (relay, process):
        started.terminate()
        try:
            started.wait(timeout=20)
        except subprocess.TimeoutExpired:
            started.kill()
            started.wait()
    log.close()
    relay_log.close()


def test_a_real_worker_scores_a_checkin(
    transactional_db, tiny_models, employee, api_client_for, request
):
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does).")
    process, log_path = request.getfixturevalue("celery_worker_process")
    client = api_client_for(employee)
    response = client.post(
        "/api/v1/sync/",
        {"image": image_upload(), "audio": audio_upload(), "hours_worked": "8"},
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    status_url = response.json()["status_url"]
    stored = CheckIn.objects.get()
    media = [Path(stored.image.path), Path(stored.audio.path)]

    deadline = time.monotonic() + 90
    status = {}
    while time.monotonic() < deadline:
        status = client.get(status_url).json()
        if status["status"] in ("done", "failed") or process.poll() is not None:
            break
        time.sleep(0.5)
    log = log_path.read_text()
    assert status.get("status") == "done", f"status={status}\nworker log:\n{log[-4000:]}"
    assert status["model_versions"] == {"fatigue": "tiny-1", "voice": "tiny-1", "burnout": "tiny-1"}
    assert 0 <= status["flow_score"] <= 100
    assert "metrics.tasks.score_checkin" in log
    day = DailyMetric.objects.get(user=employee)
    assert day.flow_score == status["flow_score"]
    assert not any(p.exists() for p in media)
