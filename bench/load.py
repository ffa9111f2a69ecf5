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
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_report import drain, exactly_once, machine_load  # noqa: E402
from bench.load_stack import prepare_stack, servers  # noqa: E402
from bench.load_traffic import KINDS, ramp, run_phase, seed_fixture, summary, warm_up  # noqa: E402

DB_URL = "postgres://postgres@127.0.0.1:5432/resonance_load"


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

    work, env, models_used = prepare_stack(
        args, work_prefix="resonance-load-", extra_env={"EXCUSE_RATE": "1000000/hour"}
    )
    fixture = seed_fixture(args.employees)

    ramp_steps: list[dict[str, Any]] = []
    ramp_accepted: list[int] = []
    with servers(env, args.port, work):
        warm_accepted = warm_up(args.port, fixture)
        load_before = machine_load()
        rate = args.rate
        if not args.no_ramp and not rate:
            rate, ramp_steps, ramp_accepted = ramp(args.port, fixture, args, args.mix)
            if not rate:
                print("No ramp step met the p99 target; holding at the first step's rate.")
                rate = args.ramp_start
            else:
                rate = round(max(args.ramp_start, rate * args.hold_fraction), 1)
        print(f"holding {rate}/s for {args.duration:.0f} s", flush=True)
        results, wall = run_phase(args.port, fixture, rate, args.duration, args.mix, seed=1)
        hold = summary(results, wall)
        load_after = machine_load()
        # Warm-up and ramp check-ins are checked too.
        accepted = warm_accepted + ramp_accepted + results.accepted
        drain_seconds = drain(accepted, args.drain_timeout)
        once = exactly_once(accepted)

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
