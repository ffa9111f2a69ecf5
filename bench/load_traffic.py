"""The mixed traffic of ``bench/load.py``: its data, its open-loop clients and their phases.

Requests are scheduled at a fixed total rate, whatever the server's speed, and the latency of
each is measured from its scheduled time (so time spent waiting for a free client counts).
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.checkin_upload import multipart_checkin_body
from bench.load_report import percentile
from bench.load_stack import HOST

KINDS = ("checkin", "dashboard", "heatmap", "excuse")
EXPECTED = {"checkin": 202, "dashboard": 200, "heatmap": 200, "excuse": 201}
CLIENT_THREADS = 32

# A request to send and when it was due (perf_counter); None tells a client to stop.
Job = tuple[str, float] | None


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


def seed_fixture(employees: int) -> Fixture:
    """One team of ``employees`` with 30 days of history, its manager, and their credentials."""
    import datetime as dt

    from django.test import Client
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from metrics.models import DailyMetric
    from resonance import indicators
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
            **{key: rng.random() for key in indicators.component_keys()},
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
    body, ctype = multipart_checkin_body()
    return Fixture(
        team_id=team.pk,
        employee_tokens=[str(RefreshToken.for_user(u).access_token) for u in users],
        manager_token=str(RefreshToken.for_user(manager).access_token),
        manager_session=browser.cookies["sessionid"].value,
        checkin_body=body,
        checkin_type=ctype,
    )


def _request(
    kind: str, fixture: Fixture, rng: random.Random
) -> tuple[str, str, bytes, dict[str, str]]:
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


def _client(
    port: int, jobs: queue.Queue[Job], fixture: Fixture, results: Results, seed: int
) -> None:
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


def run_phase(
    port: int, fixture: Fixture, rate: float, seconds: float, mix: dict[str, float], seed: int
) -> tuple[Results, float]:
    """Send ``rate`` requests per second for ``seconds``; returns results and the wall time."""
    jobs: queue.Queue[Job] = queue.Queue()
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


def warm_up(port: int, fixture: Fixture) -> list[int]:
    """Two requests of each kind, unmeasured: each gunicorn worker imports lazily."""
    results = Results()
    jobs: queue.Queue[Job] = queue.Queue()
    for kind in KINDS * 2:
        jobs.put((kind, time.perf_counter()))
    jobs.put(None)
    _client(port, jobs, fixture, results, seed=0)
    if results.errors:
        raise RuntimeError(f"warm-up requests failed: {results.errors[:3]}")
    return results.accepted


def summary(results: Results, wall: float) -> dict[str, Any]:
    per_kind = {}
    for kind, values in results.latencies.items():
        if values:
            per_kind[kind] = {
                "count": len(values),
                "p50_ms": round(1000 * statistics.median(values), 1),
                "p99_ms": round(1000 * percentile(values, 99), 1),
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


def ramp(
    port: int, fixture: Fixture, args: argparse.Namespace, mix: dict[str, float]
) -> tuple[float, list[dict[str, Any]], list[int]]:
    """Raise the rate step by step until a step fails or misses the p99 target; returns the
    highest rate that passed (0 if none), every step's summary and the check-ins accepted."""
    steps = []
    accepted: list[int] = []
    best = 0.0
    rate = args.ramp_start
    while rate <= args.ramp_max:
        results, wall = run_phase(port, fixture, rate, args.ramp_step, mix, seed=int(rate * 100))
        step = {"rate": rate, **summary(results, wall)}
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
