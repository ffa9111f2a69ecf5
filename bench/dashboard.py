"""Benchmark of the manager dashboard on PostgreSQL at two data sizes.

    .venv/bin/python bench/dashboard.py                  # 500/5 and 5,000/50, 90 days
    .venv/bin/python bench/dashboard.py --runs 30 --large 5000:50

Uses ``DATABASE_URL`` when it points at PostgreSQL, else ``resonance_bench`` on 127.0.0.1
(created when missing). For each size it (re)generates the scale data with ``seed_scale``'s
service, then times the publication of the whole history (``team_periods_publish``: every
team x every closed week and month, computed once with noise and frozen) and a second,
incremental publication right after (nothing new: it should publish nothing, quickly). The
current week stays unpublished (a period is published once it has closed everywhere, plus the
grace hours).

Then it measures through Django's full request stack (middleware, auth, template, JSON): the
dashboard page as a manager of one team and as an admin (every team), the heatmap API, and the
number of SQL queries of each. The pages read ``PublishedTeamPeriod`` only. The "live GROUP BY"
column is, in the same run, the GROUP BY (team, day) over ``DailyMetric`` for the same teams
and days, executed and fetched with nothing on top: what a dashboard aggregating live would pay
for its main query alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

    from django.db.models import Aggregate, QuerySet
    from django.test import Client

    from metrics.models import DailyMetric

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/resonance_bench"
# The 7-day rolling mean needs the 6 days before the range, live or published.
LEAD_IN_DAYS = 6


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    return url


def _ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _setup() -> None:
    url = _database_url()
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # no query log overhead: measure what production runs
    warnings.filterwarnings("ignore", message="No directory at")  # static files are not used
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _time_requests(client: Client, url: str, runs: int, **extra: Any) -> tuple[list[float], int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm caches (templates, plans, connection)
        assert client.get(url, **extra).status_code == 200, url
    # Each request clears the query log; start the capture from an empty one.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **extra)
    query_count = len(queries)  # now: the next request clears the log it reads from
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, **extra)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return timings, query_count


def _live_group_by(
    *, team_ids: list[int], date_from: dt.date, date_to: dt.date
) -> QuerySet[DailyMetric, Any]:
    """The GROUP BY (team, day) over DailyMetric: counts and means per metric."""
    from django.db.models import Avg, Count

    from metrics.models import DailyMetric
    from teams.cells import score_metrics

    annotations: dict[str, Aggregate] = {"contributors": Count("id")}
    for metric in score_metrics():
        annotations[f"n_{metric}"] = Count(metric)
        annotations[f"avg_{metric}"] = Avg(metric)
    return (
        DailyMetric.objects.filter(team_id__in=team_ids, date__gte=date_from, date__lte=date_to)
        .values("team_id", "date")
        .annotate(**annotations)
        .order_by()
    )


def _time_live_sql(
    team_ids: list[int], date_from: dt.date, date_to: dt.date, runs: int
) -> list[float]:
    """The live aggregate executed directly and fetched, without any Python on top."""
    import datetime as dt

    from django.db import connection

    lead_from = date_from - dt.timedelta(days=LEAD_IN_DAYS)
    qs = _live_group_by(team_ids=team_ids, date_from=lead_from, date_to=date_to)
    sql, params = qs.query.sql_with_params()
    timings = []
    with connection.cursor() as cursor:
        for index in range(runs + 2):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            if index >= 2:
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def _time_publication(label: str) -> str:
    """Publish every closed period not yet published (no alert evaluation) and say how long."""
    from teams.publication import team_periods_publish

    started = time.perf_counter()
    summary = team_periods_publish(announce=False)
    seconds = time.perf_counter() - started
    line = (
        f"{label} of {summary.cells:,} team periods: {seconds:.2f} s "
        f"({summary.published:,} published, {summary.suppressed:,} suppressed, "
        f"{summary.withheld:,} withheld)"
    )
    print(line)
    return line


def _bench_size(
    employees: int, teams: int, days: int, runs: int, seed: int
) -> tuple[list[str], list[dict]]:
    import datetime as dt

    from django.db import connection
    from django.db.models import Max
    from django.test import Client
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from demo.scale import SCALE_ADMIN_USERNAME, scale_data_create
    from metrics.models import DailyMetric
    from teams.models import PublishedTeamPeriod, Team

    started = time.perf_counter()
    scale_data_create(employees=employees, teams=teams, days=days, seed=seed, reset=True)
    seed_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # Reset leaves the previous size's rows as dead tuples that every scan would read.
        cursor.execute(f"VACUUM ANALYZE {DailyMetric._meta.db_table}")
    rows = DailyMetric.objects.count()
    print(
        f"\n{employees} employees, {teams} teams, {days} days: {rows:,} DailyMetric rows "
        f"(seeded in {seed_seconds:.1f} s)"
    )
    size = f"{employees}/{teams}"
    publication = [
        f"{size:>15}: {_time_publication('publication')}",
        # Nothing has closed since: this is the hourly task's cost on a quiet hour.
        f"{size:>15}: {_time_publication('incremental publication')}",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {PublishedTeamPeriod._meta.db_table}")
    today = timezone.localdate()
    latest = PublishedTeamPeriod.objects.aggregate(latest=Max("date"))["latest"]
    print(f"latest published day {latest}, today {today} (later days are not closed yet)")

    manager = User.objects.get(username="scale-m001")
    admin = User.objects.get(username=SCALE_ADMIN_USERNAME)
    own_team = manager.managed_teams.get()
    all_team_ids = list(Team.objects.values_list("pk", flat=True))
    results = []

    def record(view: str, timings: list[float], queries: int, live: list[float]) -> None:
        results.append(
            {
                "size": size,
                "rows": rows,
                "view": view,
                "p50": statistics.median(timings),
                "p95": _p(timings, 0.95),
                "queries": queries,
                "live_p50": statistics.median(live),
            }
        )

    for user, label, team_ids in (
        (manager, "manager, 1 team", [own_team.pk]),
        (admin, "admin, all teams", all_team_ids),
    ):
        client = Client()
        client.force_login(user)
        for range_days in (30, 90):
            timings, queries = _time_requests(client, f"/dashboard/?days={range_days}", runs)
            date_from = today - dt.timedelta(days=range_days - 1)
            live = _time_live_sql(team_ids, date_from, today, runs)
            record(f"page {range_days}d, {label}", timings, queries, live)

    token = RefreshToken.for_user(manager).access_token
    api = Client()
    for range_days in (30, 90):
        date_from = today - dt.timedelta(days=range_days - 1)
        timings, queries = _time_requests(
            api,
            f"/api/v1/teams/{own_team.pk}/heatmap/?from={date_from}&to={today}",
            runs,
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        live = _time_live_sql([own_team.pk], date_from, today, runs)
        record(f"heatmap API {range_days}d, manager", timings, queries, live)
    return publication, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default="500:5", help="employees:teams of the small size")
    parser.add_argument("--large", default="5000:50", help="employees:teams of the large size")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=20, help="timed requests per measurement")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    _setup()

    from django.db import connection

    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}, database "
        f"{connection.settings_dict['NAME']}, {os.cpu_count()} CPUs, {args.runs} runs each"
    )
    publication: list[str] = []
    views: list[dict] = []
    for spec in (args.small, args.large):
        employees, teams = (int(x) for x in spec.split(":"))
        lines, results = _bench_size(employees, teams, args.days, args.runs, args.seed)
        publication += lines
        views += results

    print("\n" + "\n".join(publication))
    header = (
        f"{'employees/teams':>15} {'rows':>8}  {'view':<30} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'queries':>7} {'live GROUP BY p50':>17}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in views:
        print(
            f"{r['size']:>15} {r['rows']:>8,}  {r['view']:<30} {r['p50']:>7.1f} {r['p95']:>7.1f} "
            f"{r['queries']:>7} {r['live_p50']:>17.1f}"
        )
    by_view: dict[str, set[int]] = {}
    for r in views:
        by_view.setdefault(r["view"], set()).add(r["queries"])
    constant = all(len(counts) == 1 for counts in by_view.values())
    print(f"\nQuery counts identical at both sizes: {'yes' if constant else 'NO'}")


if __name__ == "__main__":
    main()
