"""Load test of the check-in path: gunicorn + PostgreSQL + Redis + one Celery worker.

    .venv/bin/python bench/sync_load.py                      # 2,000 check-ins, 20 clients
    .venv/bin/python bench/sync_load.py --checkins 500 --clients 10 --models tiny

Everything runs on 127.0.0.1 only. The script (re)creates the PostgreSQL database
``resonance_bench_sync``, registers models (``--models starter`` runs ``setup_models``;
``tiny`` registers the tiny test models; ``auto``, the default, uses the starter models when all
three kinds are bundled and says so), creates one employee per client, then starts
gunicorn (2 workers) and one Celery worker (concurrency 1) on Redis (``--redis``, default DB 3,
flushed first; never the database of the tests or of another benchmark, whose workers would
consume these tasks). Each client posts a face image and a voice clip with a self-report over a
keep-alive connection, as fast as the server accepts them (bounded: ``--checkins`` in total).

``--rate R`` paces the clients to R requests per second in total (an employee population
checking in over time); without it they send back to back (saturation).

Reported: accept latency (time to the 202) p50/p99/max, accept throughput, the time for the
worker to drain the queue, and the loss check: every accepted check-in must end ``done`` or
``failed`` with a reason, and every user's ``DailyMetric`` rows must match their done check-ins.
Results are written to ``bench/results/sync_load-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
DB_URL = "postgres://postgres@127.0.0.1:5432/resonance_bench_sync"
HOST = "127.0.0.1"


def _recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _environment(args: argparse.Namespace, work: Path) -> dict[str, str]:
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


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _register_models(choice: str, work: Path) -> str:
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


def _create_clients(count: int) -> list[str]:
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from teams.models import Team

    team = Team.objects.create(name="Load")
    tokens = []
    for index in range(count):
        user = User.objects.create_user(
            username=f"load-{index}",
            password=None,
            team=team,
            role=User.Role.EMPLOYEE,
            designation=index % 5,
        )
        User.objects.filter(pk=user.pk).update(biometric_consent_at=user.date_joined)
        tokens.append(str(RefreshToken.for_user(user).access_token))
    return tokens


def _multipart_body() -> tuple[bytes, str]:
    from metrics.tests.media import png_bytes, wav_bytes

    boundary = uuid.uuid4().hex
    parts = []
    for name, filename, ctype, content in (
        ("image", "face.png", "image/png", png_bytes(size=224)),
        ("audio", "voice.wav", "audio/wav", wav_bytes(seconds=3.0)),
    ):
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    for name, value in (("hours_worked", "8.5"), ("meeting_count", "3")):
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


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


def _client(
    port: int,
    token: str,
    body: bytes,
    ctype: str,
    jobs: list[int],
    lock: threading.Lock,
    latencies: list[float],
    accepted: list[int],
    errors: list[str],
    interval: float,
    offset: float,
) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": ctype}
    # Clients are staggered so a paced run is a steady stream, not synchronised bursts.
    next_send = time.perf_counter() + offset
    while True:
        with lock:
            if not jobs:
                break
            jobs.pop()
        if interval:
            # Paced: one request per interval per client; a late request goes out at once.
            delay = next_send - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            next_send += interval
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/sync/", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        elapsed = time.perf_counter() - started
        if response.status == 202:
            with lock:
                latencies.append(elapsed)
                accepted.append(json.loads(payload)["id"])
        else:
            errors.append(f"{response.status}: {payload[:200]!r}")
    conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _drain(accepted: set[int], timeout: float) -> float:
    from metrics.models import CheckIn

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        open_count = CheckIn.objects.filter(
            pk__in=accepted, status__in=[CheckIn.Status.PENDING, CheckIn.Status.PROCESSING]
        ).count()
        if open_count == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return float("nan")


def _loss_check(accepted: set[int]) -> dict:
    from django.db.models import Count, Sum

    from metrics.models import CheckIn, DailyMetric

    rows = CheckIn.objects.filter(pk__in=accepted)
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    failed_without_reason = rows.filter(status=CheckIn.Status.FAILED, failure_reason="").count()
    done_per_day = {
        (r["user_id"], r["local_date"]): r["n"]
        for r in rows.filter(status=CheckIn.Status.DONE)
        .values("user_id", "local_date")
        .annotate(n=Count("id"))
    }
    metric_per_day = {
        (user_id, date): count
        for user_id, date, count in DailyMetric.objects.values_list(
            "user_id", "date", "checkin_count"
        )
    }
    missing_rows = len(accepted) - rows.count()
    open_rows = by_status.get("pending", 0) + by_status.get("processing", 0)
    return {
        "accepted": len(accepted),
        "by_status": by_status,
        "lost": missing_rows + open_rows + failed_without_reason,
        "daily_metric_rows": len(metric_per_day),
        "daily_metrics_match": done_per_day == metric_per_day,
        "daily_checkin_count_sum": DailyMetric.objects.aggregate(s=Sum("checkin_count"))["s"],
        "media_files_left": sum(
            1 for p in Path(os.environ["MEDIA_ROOT"]).rglob("*") if p.is_file()
        ),
    }


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _servers(
    env: dict[str, str], port: int, work: Path, *, web_args: Sequence[str] = ()
) -> Iterator[None]:
    """gunicorn (2 workers) on ``port`` and one Celery worker, logging to ``work``.

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
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "resonance",
            "worker",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_http(port)
        _wait_for_worker(worker_log)
        yield
    finally:
        _stop(web)
        _stop(worker)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkins", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--database-url", default=DB_URL)
    parser.add_argument("--models", choices=["auto", "starter", "tiny"], default="auto")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="Total requests per second, spread over the clients (0 = as fast as accepted).",
    )
    parser.add_argument("--drain-timeout", type=float, default=1800)
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.checkins <= 20000:
        parser.error("--clients must be 1-100 and --checkins 1-20000 (bounded load)")

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    _recreate_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="resonance-sync-load-"))
    env = _environment(args, work)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    _setup_django(env)
    models_used = _register_models(args.models, work)
    tokens = _create_clients(args.clients)
    body, ctype = _multipart_body()

    web_args = ("--access-logfile=-", "--access-logformat=%(s)s %(M)s")
    with _servers(env, args.port, work, web_args=web_args):
        jobs = list(range(args.checkins))
        lock = threading.Lock()
        latencies: list[float] = []
        accepted: list[int] = []
        errors: list[str] = []
        threads = [
            threading.Thread(
                target=_client,
                args=(args.port, tokens[i], body, ctype, jobs, lock, latencies, accepted, errors),
                kwargs={
                    "interval": args.clients / args.rate if args.rate else 0.0,
                    "offset": i / args.rate if args.rate else 0.0,
                },
            )
            for i in range(args.clients)
        ]
        load_before = os.getloadavg()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        post_seconds = time.perf_counter() - started
        drain_seconds = _drain(set(accepted), args.drain_timeout)
        total_seconds = time.perf_counter() - started
        load_after = os.getloadavg()
        loss = _loss_check(set(accepted))

    result = {
        "checkins": args.checkins,
        "clients": args.clients,
        "target_rate_per_s": args.rate or "unpaced",
        "models": models_used,
        "payload_bytes": len(body),
        "accepted": len(accepted),
        "refused_or_errors": len(errors),
        "error_samples": errors[:5],
        "accept_latency_ms": {
            "p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "p99": round(1000 * _percentile(latencies, 99), 1) if latencies else None,
            "max": round(1000 * max(latencies), 1) if latencies else None,
        },
        "accept_throughput_per_s": round(len(accepted) / post_seconds, 1),
        "posting_seconds": round(post_seconds, 1),
        "drain_seconds_after_posting": round(drain_seconds, 1),
        "end_to_end_scored_per_s": round(len(accepted) / total_seconds, 1),
        **loss,
        "cpu_count": os.cpu_count(),
        # Other work on the machine inflates every latency; keep it next to the figures.
        "load_average_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"sync_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))
    print(f"written to {out}")
    ok = result["lost"] == 0 and result["daily_metrics_match"] and not errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
