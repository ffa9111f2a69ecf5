"""Load test of the check-in path: gunicorn + PostgreSQL + Redis + one Celery worker + the
outbox relay.

    .venv/bin/python bench/sync_load.py                      # 2,000 check-ins, 20 clients
    .venv/bin/python bench/sync_load.py --checkins 500 --clients 10 --models tiny

Everything runs on 127.0.0.1 only. The script (re)creates the PostgreSQL database
``resonance_bench_sync``, registers models (``--models starter`` runs ``setup_models``;
``tiny`` registers the tiny test models; ``auto``, the default, uses the starter models when all
three kinds are bundled and says so), creates one employee per client, then starts
gunicorn (``--web-workers``, 3), the outbox relay and one Celery worker (concurrency 1, at a
lower CPU priority than the web) on Redis (``--redis``, default DB 3,
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
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkin_upload import multipart_checkin_body  # noqa: E402
from bench.load_report import drain, loss_check, percentile  # noqa: E402
from bench.load_stack import HOST, prepare_stack, servers  # noqa: E402

DB_URL = "postgres://postgres@127.0.0.1:5432/resonance_bench_sync"


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
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers.")
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.checkins <= 20000:
        parser.error("--clients must be 1-100 and --checkins 1-20000 (bounded load)")

    work, env, models_used = prepare_stack(args, work_prefix="resonance-sync-load-")
    tokens = _create_clients(args.clients)
    body, ctype = multipart_checkin_body()

    web_args = (
        "--access-logfile=-",
        "--access-logformat=%(s)s %(M)s",
        f"--workers={args.web_workers}",  # the last --workers given wins
    )
    with servers(env, args.port, work, web_args=web_args):
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
        drain_seconds = drain(set(accepted), args.drain_timeout)
        total_seconds = time.perf_counter() - started
        load_after = os.getloadavg()
        loss = loss_check(set(accepted))

    result = {
        "checkins": args.checkins,
        "clients": args.clients,
        "web_workers": args.web_workers,
        "target_rate_per_s": args.rate or "unpaced",
        "models": models_used,
        "payload_bytes": len(body),
        "accepted": len(accepted),
        "refused_or_errors": len(errors),
        "error_samples": errors[:5],
        "accept_latency_ms": {
            "p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "p99": round(1000 * percentile(latencies, 99), 1) if latencies else None,
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
