"""The servers the load tests run against, all on 127.0.0.1: a fresh PostgreSQL database,
registered models, gunicorn (2 workers) and one Celery worker on a flushed Redis database.

``prepare_stack`` readies the database and this process (which seeds the data and checks the
results through the ORM); ``servers`` runs gunicorn and the worker for the length of a block.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.celery_worker import celery_worker_command, outbox_relay_command

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stack_environment(args: argparse.Namespace, work: Path) -> dict[str, str]:
    """The environment of the servers and of this process: ``args.database_url`` and
    ``args.redis``, files under ``work``, and no limit that would cap the measured rate."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "resonance.settings",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.redis,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "RESONANCE_VAR_DIR": str(work / "var"),
        "MEDIA_ROOT": str(work / "media"),
        # The benchmark measures capacity, not the per-user limit (30/hour by default).
        "CHECKIN_RATE": "1000000/hour",
        "JWT_ACCESS_MINUTES": "120",
        "AXES_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "ORT_INTRA_OP_THREADS": "1",
        "CONN_MAX_AGE": "60",
    }


def setup_django(env: Mapping[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def register_models(choice: str, work: Path) -> str:
    """Register the starter or the tiny test models (``auto``: starter when all three kinds
    are bundled); returns which, in words."""
    from django.conf import settings
    from django.core.management import call_command

    kinds = ("fatigue", "voice", "burnout")
    bundled = {kind: any((Path(settings.MODELS_DIR) / kind).glob("*.onnx")) for kind in kinds}
    if choice == "auto":
        choice = "starter" if all(bundled.values()) else "tiny"
    if choice == "starter":
        call_command("setup_models")
        return "starter models (manage.py setup_models)"
    from inference.testing import register_tiny_models

    register_tiny_models(work / "tiny-models")
    missing = [k for k, present in bundled.items() if not present]
    reason = f"; starter models not bundled for: {', '.join(missing)}" if missing else ""
    return f"tiny test models (inference.testing){reason}"


def prepare_stack(
    args: argparse.Namespace, *, work_prefix: str, extra_env: Mapping[str, str] | None = None
) -> tuple[Path, dict[str, str], str]:
    """Flush ``args.redis``, recreate and migrate ``args.database_url``, set Django up in this
    process and register ``args.models``.

    Returns the work folder (a new temporary one named ``work_prefix...``), the servers'
    environment (``extra_env`` on top of ``stack_environment``) and the models used, in words.
    """
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    recreate_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix=work_prefix))
    env = {**stack_environment(args, work), **(extra_env or {})}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    setup_django(env)
    return work, env, register_models(args.models, work)


def _wait_for_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _wait_for_worker(log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise RuntimeError(f"celery worker did not start:\n{log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def servers(
    env: dict[str, str], port: int, work: Path, *, web_args: Sequence[str] = ()
) -> Iterator[None]:
    """gunicorn (2 workers) on ``port``, one Celery worker and the outbox relay, logging to
    ``work``.

    Both are up when the block starts and are stopped when it ends, however it ends.
    """
    worker_log = work / "worker.log"
    web = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "resonance.wsgi",
            "--workers=2",
            f"--bind={HOST}:{port}",
            *web_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=(work / "web.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    # The web process answers people; scoring can wait a moment. On a shared machine the worker
    # runs at a lower CPU priority so it never delays an upload (in production it has its own
    # cores or container).
    worker = subprocess.Popen(
        ["nice", "-n", "10", *celery_worker_command("resonance", "--concurrency=1")],
        cwd=ROOT,
        env=env,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    relay = subprocess.Popen(
        outbox_relay_command(),
        cwd=ROOT,
        env=env,
        stdout=(work / "relay.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_http(port)
        _wait_for_worker(worker_log)
        yield
    finally:
        _stop(web)
        _stop(relay)
        _stop(worker)
