"""Start and stop real servers for integration tests: a Celery worker and a private Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.celery_worker import celery_worker_command, outbox_relay_command

ROOT = Path(__file__).resolve().parents[2]


def database_url(application_name: str | None = None) -> str:
    """URL of the database this test process uses (the pytest-django test database)."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"{url}?application_name={application_name}" if application_name else url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; returns it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


class PrivateRedis:
    """A throw-away ``redis-server`` on a free loopback port, without persistence.

    Tests stop and start this one to simulate a broker outage; the machine's shared Redis is
    never touched.
    """

    def __init__(self, workdir: Path, db: int = 6):
        self.port = free_port()
        self.db = db
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self.ping, timeout=10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def reset_connection_pools(app) -> None:
    """Drop the Celery app's broker pools; they keep the broker URL they were created with.

    kombu also keeps every pool in a process-wide registry keyed by connection: closing a pool
    without clearing that registry hands the closed pool back on the next use (even eager
    tasks acquire a producer), so a later test would fail with "Acquire on closed pool"."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def private_redis_or_skip(workdir: Path) -> Iterator[PrivateRedis]:
    """A ``PrivateRedis`` for one test, stopped afterwards; the test is skipped with the reason
    when no ``redis-server`` can be started here."""
    import pytest

    server = PrivateRedis(workdir)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.skip(f"Cannot start a private redis-server: {exc}")
    try:
        yield server
    finally:
        server.stop()


class WorkerProcess:
    """A real ``celery worker`` (solo pool, so SIGKILL kills the process running the task)."""

    name = "celery worker"
    ready_line = "ready."

    def __init__(
        self,
        *,
        broker_url: str,
        db_url: str,
        media_root: Path,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        app: str = "tests.support.fault_worker",
    ):
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": str(media_root),
            "RESONANCE_VAR_DIR": str(workdir / "var"),
            "ORT_INTRA_OP_THREADS": "1",
            "FAULT_MARKER_DIR": str(workdir),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.app = app
        self.workdir = workdir
        self.log_path = workdir / f"{self.name.replace(' ', '-')}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> WorkerProcess:
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if wait and not wait_until(lambda: self.ready_line in self.log() or not self.alive(), 60):
            raise RuntimeError(f"{self.name} did not start:\n{self.log()[-3000:]}")
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
        return self

    def command(self) -> list[str]:
        return celery_worker_command(self.app, "--pool=solo", "--without-heartbeat")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no cleanup, no ack, exactly what the OOM killer or a power cut does."""
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()


class RelayProcess(WorkerProcess):
    """A real ``manage.py relay_outbox``: sends what requests queued in the outbox."""

    name = "outbox relay"
    ready_line = "Relaying the outbox"

    def command(self) -> list[str]:
        return outbox_relay_command("--interval", "0.1")
