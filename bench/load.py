"""Mixed-traffic load test: gunicorn (2 workers) + PostgreSQL + Redis + one Celery worker.

    .venv/bin/python bench/load.py                       # ramp to find the rate, then hold 5 min
    .venv/bin/python bench/load.py --rate 12 --duration 300      # hold a given rate
    .venv/bin/python bench/load.py --rate 4 --duration 20 --no-ramp   # smoke run

Everything runs on 127.0.0.1. The script (re)creates the PostgreSQL database ``resonance_load``,
flushes Redis DB 7 (``--redis``), registers models (as ``bench/sync_load.py``: starter models when
all three kinds are bundled, otherwise the tiny test models, and it says which), creates one team
of ``--employees`` employees with 30 days of history and its manager, then starts gunicorn and
the worker. Traffic is open-loop: requests are scheduled at a fixed total rate, whatever the
server's speed, and the latency of each is measured from its scheduled time (so time spent
waiting for a free client counts). The mix, by weight (``--mix``; check-ins are 1 in 16 by
default because one worker scores about one check-in per second with the starter models, and
the test holds only a rate whose check-ins the worker keeps up with):

* ``checkin``   POST /api/v1/sync/ (face image + voice clip + self-report) as an employee
* ``dashboard`` GET /dashboard/ (the manager's HTML page, session cookie)
* ``heatmap``   GET /api/v1/teams/<id>/heatmap/ (manager, JWT, 30 days)
* ``excuse``    POST /api/v1/excuses/ (an employee generates a meeting-excuse email)

Without ``--rate``, a ramp of ``--ramp-step`` seconds per step raises the rate until a step's p99
(any kind) reaches ``--p99-ms`` (500) or a request fails; the hold then runs at
``--hold-fraction`` (0.7) of the highest rate that passed: a short step on a shared machine
misses the slow minutes a 5-minute hold meets (a hold at the full ramp rate, 18/s, reached a p99
of 1.0 s where its 20-second step had 235 ms). The result says whether the hold met the target.
Everything is bounded: at most ``--duration`` (<= 600) seconds of hold, rates up to 200/s, and
the script stops its servers itself. At the end it waits for the worker to drain and
checks that every accepted check-in was scored exactly once: ``done`` (or ``failed`` with a
reason), and each user's ``DailyMetric.checkin_count`` for that day equal to their done
check-ins. Results go to ``bench/results/load-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync_load import (  # noqa: E402
    HOST,
    _environment,
    _multipart_body,
    _percentile,
    _recreate_database,
    _register_models,
    _servers,
    _setup_django,
)

DB_URL = "postgres://postgres@127.0.0.1:5432/resonance_load"
KINDS = ("checkin", "dashboard", "heatmap", "excuse")
CLIENT_THREADS = 32


@dataclass
class Fixture:
    team_id: int
    employee_tokens: list[str]
    manager_token: str
    manager_session: str
    checkin_body: bytes
    checkin_type: str


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _seed(employees: int) -> Fixture:
    import datetime as dt

    from django.test import Client
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from metrics.models import DailyMetric
    from teams.models import Team

    rng = random.Random(7)
    team = Team.objects.create(name="Load")
    users = []
    for index in range(employees):
        user = User.objects.create_user(
            username=f"load-{index}", password=None, team=team, role=User.Role.EMPLOYEE
        )
        users.append(user)
    User.objects.filter(team=team).update(biometric_consent_at=timezone.now())
    today = timezone.localdate()
    DailyMetric.objects.bulk_create(
        DailyMetric(
            user=user,
            team=team,
            date=today - dt.timedelta(days=days_ago),
            fatigue=rng.random(),
            stress=rng.random(),
            burnout=rng.random(),
            flow_score=rng.uniform(20, 90),
            checkin_count=1,
        )
        for user in users
        for days_ago in range(1, 31)
    )
    manager = User.objects.create_user(
        username="load-manager", password=None, role=User.Role.MANAGER
    )
    team.managers.add(manager)
    browser = Client()
    browser.force_login(manager)
    body, ctype = _multipart_body()
    return Fixture(
        team_id=team.pk,
        employee_tokens=[str(RefreshToken.for_user(u).access_token) for u in users],
        manager_token=str(RefreshToken.for_user(manager).access_token),
        manager_session=browser.cookies["sessionid"].value,
        checkin_body=body,
        checkin_type=ctype,
    )


def _request(kind: str, fixture: Fixture, rng: random.Random) -> tuple[str, str, bytes, dict]:
    employee = rng.choice(fixture.employee_tokens)
    if kind == "checkin":
        headers = {"Authorization": f"Bearer {employee}", "Content-Type": fixture.checkin_type}
        return "POST", "/api/v1/sync/", fixture.checkin_body, headers
    if kind == "dashboard":
        return "GET", "/dashboard/", b"", {"Cookie": f"sessionid={fixture.manager_session}"}
    if kind == "heatmap":
        return (
            "GET",
            f"/api/v1/teams/{fixture.team_id}/heatmap/",
            b"",
            {"Authorization": f"Bearer {fixture.manager_token}"},
        )
    payload = {
        "meeting_title": rng.choice(["Weekly sync", "Roadmap review", "Budget Q3"]),
        "organizer_name": rng.choice(["Ana", "Bo", "Chen"]),
        "reason": rng.choice(["focus", "conflict", "overbooked"]),
        "tone": rng.choice(["formal", "friendly", "brief"]),
    }
    headers = {"Authorization": f"Bearer {employee}", "Content-Type": "application/json"}
    return "POST", "/api/v1/excuses/", json.dumps(payload).encode(), headers


EXPECTED = {"checkin": 202, "dashboard": 200, "heatmap": 200, "excuse": 201}


def _client(port: int, jobs: queue.Queue, fixture: Fixture, results: Results, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    while True:
        job = jobs.get()
        if job is None:
            break
        kind, scheduled = job
        method, path, body, headers = _request(kind, fixture, rng)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            with results.lock:
                results.errors.append(f"{kind} {type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        elapsed = time.perf_counter() - scheduled
        with results.lock:
            if response.status == EXPECTED[kind]:
                results.latencies[kind].append(elapsed)
                if kind == "checkin":
                    results.accepted.append(json.loads(payload)["id"])
            else:
                results.errors.append(f"{kind} {response.status}: {payload[:160]!r}")
    conn.close()


def _run_phase(
    port: int, fixture: Fixture, rate: float, seconds: float, mix: dict[str, float], seed: int
) -> tuple[Results, float]:
    """Send ``rate`` requests per second for ``seconds``; returns results and the wall time."""
    jobs: queue.Queue = queue.Queue()
    results = Results()
    threads = [
        threading.Thread(target=_client, args=(port, jobs, fixture, results, seed + i), daemon=True)
        for i in range(CLIENT_THREADS)
    ]
    for thread in threads:
        thread.start()
    rng = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    total = int(rate * seconds)
    started = time.perf_counter()
    for index in range(total):
        scheduled = started + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((rng.choices(kinds, weights)[0], scheduled))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def _warm_up(port: int, fixture: Fixture) -> list[int]:
    """Two requests of each kind, unmeasured: each gunicorn worker imports lazily."""
    results = Results()
    jobs: queue.Queue = queue.Queue()
    for kind in KINDS * 2:
        jobs.put((kind, time.perf_counter()))
    jobs.put(None)
    _client(port, jobs, fixture, results, seed=0)
    if results.errors:
        raise RuntimeError(f"warm-up requests failed: {results.errors[:3]}")
    return results.accepted


def _summary(results: Results, wall: float) -> dict:
    per_kind = {}
    for kind, values in results.latencies.items():
        if values:
            per_kind[kind] = {
                "count": len(values),
                "p50_ms": round(1000 * statistics.median(values), 1),
                "p99_ms": round(1000 * _percentile(values, 99), 1),
                "max_ms": round(1000 * max(values), 1),
            }
    ok = sum(len(v) for v in results.latencies.values())
    return {
        "achieved_rate_per_s": round(ok / wall, 2),
        "requests_ok": ok,
        "errors": len(results.errors),
        "error_samples": results.errors[:5],
        "per_kind": per_kind,
        "worst_p99_ms": max((k["p99_ms"] for k in per_kind.values()), default=None),
    }


def _ramp(port: int, fixture: Fixture, args, mix) -> tuple[float, list[dict], list[int]]:
    steps = []
    accepted: list[int] = []
    best = 0.0
    rate = args.ramp_start
    while rate <= args.ramp_max:
        results, wall = _run_phase(port, fixture, rate, args.ramp_step, mix, seed=int(rate * 100))
        step = {"rate": rate, **_summary(results, wall)}
        accepted += results.accepted
        steps.append(step)
        print(
            f"ramp {rate:5.1f}/s: p99 {step['worst_p99_ms']} ms, errors {step['errors']}",
            flush=True,
        )
        if step["errors"] or (step["worst_p99_ms"] or 0) >= args.p99_ms:
            break
        best = rate
        rate += args.ramp_increment
    return best, steps, accepted


def _drain(accepted: list[int], timeout: float) -> float:
    from metrics.models import CheckIn

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        open_rows = CheckIn.objects.filter(
            pk__in=accepted, status__in=[CheckIn.Status.PENDING, CheckIn.Status.PROCESSING]
        ).count()
        if not open_rows:
            return time.monotonic() - started
        time.sleep(0.5)
    return float("nan")


def _exactly_once(accepted: list[int]) -> dict:
    """Every accepted check-in scored once: done/failed-with-reason, one daily contribution."""
    from django.db.models import Count

    from metrics.models import CheckIn, DailyMetric

    rows = CheckIn.objects.filter(pk__in=accepted)
    by_status = dict(rows.values_list("status").annotate(n=Count("id")))
    done_per_day = {
        (r["user_id"], r["local_date"]): r["n"]
        for r in rows.filter(status=CheckIn.Status.DONE)
        .values("user_id", "local_date")
        .annotate(n=Count("id"))
    }
    dates = {day for _, day in done_per_day}
    metric_per_day = {
        (user_id, day): count
        for user_id, day, count in DailyMetric.objects.filter(date__in=dates).values_list(
            "user_id", "date", "checkin_count"
        )
    }
    lost = (
        len(set(accepted))
        - rows.count()
        + by_status.get("pending", 0)
        + by_status.get("processing", 0)
        + rows.filter(status=CheckIn.Status.FAILED, failure_reason="").count()
    )
    return {
        "accepted_checkins": len(accepted),
        "by_status": by_status,
        "lost": lost,
        "daily_metrics_match": done_per_day == metric_per_day,
        "scored_more_than_once": sum(
            1 for key, n in metric_per_day.items() if n > done_per_day.get(key, 0)
        ),
    }


def _machine_load() -> dict:
    load1, load5, _ = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "loadavg_1m": round(load1, 2),
        "loadavg_5m": round(load5, 2),
    }


def _parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {name!r}; use {', '.join(KINDS)}")
        mix[name] = float(weight)
    return mix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="Hold seconds (<= 600).")
    parser.add_argument("--rate", type=float, default=0, help="Hold rate/s; 0 = find by ramp.")
    parser.add_argument("--no-ramp", action="store_true", help="Needs --rate.")
    parser.add_argument("--ramp-start", type=float, default=2)
    parser.add_argument("--ramp-increment", type=float, default=2)
    parser.add_argument("--ramp-max", type=float, default=60)
    parser.add_argument("--ramp-step", type=float, default=20, help="Seconds per ramp step.")
    parser.add_argument("--hold-fraction", type=float, default=0.7)
    parser.add_argument("--p99-ms", type=float, default=500)
    parser.add_argument(
        "--mix", type=_parse_mix, default=_parse_mix("checkin=1,dashboard=4,heatmap=6,excuse=5")
    )
    parser.add_argument("--employees", type=int, default=20)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--database-url", default=DB_URL)
    parser.add_argument("--models", choices=["auto", "starter", "tiny"], default="auto")
    parser.add_argument("--drain-timeout", type=float, default=600)
    args = parser.parse_args()
    if not 0 < args.duration <= 600 or not 0 <= args.rate <= 200 or args.ramp_max > 200:
        parser.error("--duration must be in (0, 600] and rates at most 200/s (bounded load)")
    if args.no_ramp and not args.rate:
        parser.error("--no-ramp needs --rate")
    if not 5 <= args.employees <= 500:
        parser.error("--employees must be 5-500")

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    _recreate_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="resonance-load-"))
    env = {**_environment(args, work), "EXCUSE_RATE": "1000000/hour"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    _setup_django(env)
    models_used = _register_models(args.models, work)
    fixture = _seed(args.employees)

    ramp_steps: list[dict] = []
    ramp_accepted: list[int] = []
    with _servers(env, args.port, work):
        warm_accepted = _warm_up(args.port, fixture)
        load_before = _machine_load()
        rate = args.rate
        if not args.no_ramp and not rate:
            rate, ramp_steps, ramp_accepted = _ramp(args.port, fixture, args, args.mix)
            if not rate:
                print("No ramp step met the p99 target; holding at the first step's rate.")
                rate = args.ramp_start
            else:
                rate = round(max(args.ramp_start, rate * args.hold_fraction), 1)
        print(f"holding {rate}/s for {args.duration:.0f} s", flush=True)
        results, wall = _run_phase(args.port, fixture, rate, args.duration, args.mix, seed=1)
        hold = _summary(results, wall)
        load_after = _machine_load()
        # Warm-up and ramp check-ins are checked too.
        accepted = warm_accepted + ramp_accepted + results.accepted
        drain_seconds = _drain(accepted, args.drain_timeout)
        once = _exactly_once(accepted)

    result = {
        "target_rate_per_s": rate,
        "rate_from": "--rate" if args.rate else f"ramp x {args.hold_fraction}",
        "duration_s": args.duration,
        "mix": args.mix,
        "employees": args.employees,
        "models": models_used,
        "hold": hold,
        "p99_target_ms": args.p99_ms,
        "p99_met": (hold["worst_p99_ms"] or 0) < args.p99_ms and not hold["errors"],
        "drain_seconds_after_hold": round(drain_seconds, 1),
        **once,
        "ramp": ramp_steps,
        "machine_before": load_before,
        "machine_after": load_after,
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "ramp"}, indent=2, default=str))
    print(f"written to {out}")
    ok = once["lost"] == 0 and once["daily_metrics_match"] and not hold["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
