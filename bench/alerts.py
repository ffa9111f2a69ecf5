"""Benchmark of the daily alert evaluation at scale (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/resonance_alertbench \
        .venv/bin/python bench/alerts.py [--employees 5000] [--teams 50] [--days 90]

Creates the database if missing, migrates it, seeds the organisation with
``manage.py seed_scale`` (kept between runs), deletes every alert, then measures:

* a first full evaluation (all employees and teams; alerts created and emailed to the
  in-memory backend), its wall time and SQL query count;
* a second full evaluation of the same day (must create nothing: idempotency);
* an evaluation of the next day, which moves every window (bulk updates and resolutions);
* a scoped evaluation of a tenth of the employees and teams, from an empty alert table, to show
  that the query count does not depend on the number of employees;
* duplicates: active alerts sharing a (target, rule), which must be 0.

Prints a table and one JSON line; exits non-zero when a target is missed
(full evaluation <= 10 s, constant query count, 0 duplicates, 0 created on the second run).
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

TARGET_SECONDS = 10.0


def _ensure_database(url: str) -> None:
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    admin = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


T = TypeVar("T")


def _measure(fn: Callable[[], T]) -> tuple[T, float, int]:
    """``fn()``, the seconds it took and the number of queries it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
    return result, elapsed, len(queries.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL database, e.g. .../resonance_alertbench.")
        return 2
    _ensure_database(url)

    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Max

    from alerts.models import BurnoutAlert
    from alerts.services.evaluation import alerts_evaluate
    from metrics.models import DailyMetric
    from teams.models import Team

    call_command("migrate", verbosity=0)
    call_command(
        "seed_scale", employees=args.employees, teams=args.teams, days=args.days, verbosity=1
    )
    on_date = DailyMetric.objects.aggregate(last=Max("date"))["last"]
    employees = DailyMetric.objects.values("user_id").distinct().count()
    rows = DailyMetric.objects.count()

    BurnoutAlert.objects.all().delete()
    team_ids = sorted(set(Team.objects.filter(members__isnull=False).values_list("pk", flat=True)))
    some_teams = team_ids[: max(1, len(team_ids) // 10)]
    some_users = list(
        DailyMetric.objects.filter(team_id__in=some_teams)
        .values_list("user_id", flat=True)
        .order_by()
        .distinct()
    )
    _, scoped_s, scoped_q = _measure(
        lambda: alerts_evaluate(on_date=on_date, user_ids=some_users, team_ids=some_teams)
    )

    BurnoutAlert.objects.all().delete()
    mail.outbox = []
    first, first_s, first_q = _measure(lambda: alerts_evaluate(on_date=on_date))
    emails = len(mail.outbox)
    second, second_s, second_q = _measure(lambda: alerts_evaluate(on_date=on_date))
    # The next day moves every window: active alerts are updated or resolved in bulk.
    next_day = on_date + dt.timedelta(days=1)
    third, third_s, third_q = _measure(lambda: alerts_evaluate(on_date=next_day))

    active = BurnoutAlert.objects.filter(status__in=BurnoutAlert.ACTIVE_STATUSES)
    duplicates = sum(
        row["n"] - 1
        for field in ("user_id", "team_id")
        for row in active.exclude(**{field: None})
        .values(field, "rule")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    by_rule = dict(active.values_list("rule").annotate(n=Count("pk")).order_by("rule"))
    created_second = second["individual"]["created"] + second["team"]["created"]

    report = {
        "database": connection.vendor,
        "on_date": on_date.isoformat(),
        "employees": employees,
        "teams": len(team_ids),
        "daily_metrics": rows,
        "first_run_s": round(first_s, 2),
        "first_run_queries": first_q,
        "second_run_s": round(second_s, 2),
        "second_run_queries": second_q,
        "next_day_run_s": round(third_s, 2),
        "next_day_run_queries": third_q,
        "next_day_updated": third["individual"]["updated"] + third["team"]["updated"],
        "next_day_resolved": third["individual"]["resolved"] + third["team"]["resolved"],
        "scoped_employees": len(some_users),
        "scoped_teams": len(some_teams),
        "scoped_run_queries": scoped_q,
        "scoped_run_s": round(scoped_s, 2),
        "alerts_created": first["individual"]["created"] + first["team"]["created"],
        "active_alerts_by_rule": by_rule,
        "emails": emails,
        "created_on_second_run": created_second,
        "duplicates": duplicates,
    }
    print(f"{employees} employees, {len(team_ids)} teams, {rows} daily metrics, on {on_date}")
    print(
        f"first full evaluation : {first_s:6.2f} s, {first_q} queries, "
        f"{report['alerts_created']} alerts, {emails} emails"
    )
    print(
        f"second full evaluation: {second_s:6.2f} s, {second_q} queries, {created_second} created"
    )
    print(
        f"next-day evaluation   : {third_s:6.2f} s, {third_q} queries, "
        f"{report['next_day_updated']} updated, {report['next_day_resolved']} resolved"
    )
    print(
        f"scoped ({len(some_users)} employees, {len(some_teams)} teams): "
        f"{scoped_s:6.2f} s, {scoped_q} queries"
    )
    print(f"active alerts by rule : {by_rule}; duplicates: {duplicates}")
    print(json.dumps(report))

    ok = (
        first_s <= TARGET_SECONDS
        and second_s <= TARGET_SECONDS
        and third_s <= TARGET_SECONDS
        and scoped_q == first_q
        and duplicates == 0
        and created_second == 0
    )
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
