"""A year of a large company on PostgreSQL: seeding, publication, alerts and the team pages.

    .venv/bin/python bench/scale.py --employees 100000 --days 365        # seeds, then measures
    .venv/bin/python bench/scale.py --employees 100000 --days 365 --skip-seed   # measures only

Uses ``DATABASE_URL`` when it points at PostgreSQL, else ``resonance_scale`` on 127.0.0.1
(created when missing). Each step runs the project's own commands in a process of its own, as
an operator would, and reports wall time and that process's peak memory:

1. ``seed_scale --employees N --teams T --days D --reset`` (skipped with ``--skip-seed``);
2. ``publish_aggregates``: from an empty publication, the whole look-back (every team, every
   closed week and month of the last 100 days); then, with everything up to a week ago already
   published, the run that publishes the week (and month) closed since; then the hourly run
   with nothing new. The benchmark's own database: it empties the published periods and the
   privacy ledger first;
3. ``generate_alerts`` for today, every rule for everyone;
4. through Django's request stack in this process: the dashboard as the manager of one team
   and as the admin (a page of teams), and the heatmap API: p50 and p95 of ``--runs``
   requests, SQL queries and the bytes of the answer;
5. table sizes.

Targets (issue figures, this 2-core machine): publication and alerts within the Celery task
limits; manager's page p50 <= 50 ms; admin's page p50 <= 300 ms and <= 1 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import _ensure_database, _p, _time_requests  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/resonance_scale"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_URL


# Runs manage.py and reports the process's own peak memory when it ends.
_MEASURED = (
    "import atexit, resource, runpy, sys\n"
    "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss, file=sys.stderr))\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def _run(label: str, *command: str) -> tuple[float, float]:
    """Run ``manage.py command`` in a process of its own: (seconds, its peak memory in MB)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(ROOT / "manage.py"), *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{label} failed:\n{done.stderr[-3000:]}")
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK_KB")]
    peak_mb = int(peaks[-1]) / 1024 if peaks else float("nan")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    print(f"{label}: {seconds:.1f} s, peak memory {peak_mb:,.0f} MB")
    for line in lines[-3:]:
        print(f"    {line[:160]}")
    return seconds, peak_mb


def _sizes() -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT relname, pg_size_pretty(
                CASE WHEN relkind = 'p' THEN (
                    SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
                    WHERE inhparent = c.oid)
                ELSE pg_total_relation_size(c.oid) END)
            FROM pg_class c
            WHERE relname IN ('metrics_dailymetric', 'teams_publishedteamperiod',
                              'teams_privacyspend', 'alerts_burnoutalert', 'accounts_user')
            ORDER BY relname
            """
        )
        return list(cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=15, help="timed requests per page")
    parser.add_argument("--skip-seed", action="store_true", help="measure the data already there")
    args = parser.parse_args()

    url = _database_url()
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"{url.rsplit('/', 1)[1]}: {args.employees:,} employees, {args.teams} teams, "
        f"{args.days} days; {os.cpu_count()} CPUs"
    )
    if not args.skip_seed:
        _run(
            "seed_scale",
            "seed_scale",
            f"--employees={args.employees}",
            f"--teams={args.teams}",
            f"--days={args.days}",
            "--reset",
        )
    import datetime as dt

    from django.utils import timezone

    from teams.models import PrivacySpend, PublishedTeamPeriod
    from teams.publication import team_periods_publish

    # Publication starts from nothing each time (this is the benchmark's own database).
    PublishedTeamPeriod.objects.all().delete()
    PrivacySpend.objects.all().delete()
    _run("publish_aggregates (the whole 100-day look-back)", "publish_aggregates")
    PublishedTeamPeriod.objects.all().delete()
    PrivacySpend.objects.all().delete()
    team_periods_publish(now=timezone.now() - dt.timedelta(days=7), announce=False)
    _run(
        "publish_aggregates (the week and month that closed since a week ago)",
        "publish_aggregates",
    )
    _run("publish_aggregates (again: the hourly run, nothing new)", "publish_aggregates")
    _run("generate_alerts (today, everyone)", "generate_alerts")

    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from demo.scale import SCALE_ADMIN_USERNAME

    manager = User.objects.get(username="scale-m001")
    admin = User.objects.get(username=SCALE_ADMIN_USERNAME)
    team = manager.managed_teams.get()
    today = timezone.localdate()
    pages = []
    for user, label in ((manager, "manager, 1 team"), (admin, "admin, a page of teams")):
        client = Client()
        client.force_login(user)
        for days in (90, 365):
            url_path = f"/dashboard/?days={days}"
            timings, queries = _time_requests(client, url_path, args.runs)
            size = len(client.get(url_path).content)
            pages.append((f"page {days}d, {label}", timings, queries, size))
    token = RefreshToken.for_user(manager).access_token
    api = Client()
    for days in (90, 365):
        first = today - dt.timedelta(days=days - 1)
        url_path = f"/api/v1/teams/{team.pk}/heatmap/?from={first}&to={today}"
        timings, queries = _time_requests(
            api, url_path, args.runs, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        size = len(api.get(url_path, HTTP_AUTHORIZATION=f"Bearer {token}").content)
        pages.append((f"heatmap API {days}d, manager", timings, queries, size))

    print(f"\n{'view':<34} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'bytes':>10}")
    for label, timings, queries, size in pages:
        print(
            f"{label:<34} {statistics.median(timings):>7.1f} {_p(timings, 0.95):>7.1f} "
            f"{queries:>7} {size:>10,}"
        )
    print("\nTable sizes (partitions summed):")
    for table, pretty in _sizes():
        print(f"  {table:<28} {pretty}")


if __name__ == "__main__":
    main()
