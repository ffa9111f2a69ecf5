"""Monthly partitions of the tables that grow with time, on PostgreSQL.

``metrics_dailymetric`` grows by one row per person and day (about 36 million a year at
100,000 people), ``teams_publishedteamperiod`` by one row per team and closed week or month.
On PostgreSQL each is partitioned by range of ``date``, one partition a month, so the queries
that read a window of days (the alert rules, publication, the dashboard) touch only the months
they need, and an old month can be detached whole instead of deleted row by row.
A ``default`` partition catches any date without a month of its own, so no write ever fails;
``ensure_months`` creates a month's partition and moves any rows the default holds for it.
SQLite (the embedded default) keeps plain tables: everything here does nothing there.

The conversion of an existing table (migrations metrics 0007, teams 0005) creates the
partitioned table beside it, copies the rows, and swaps the names: the primary key becomes
(id, date), as PostgreSQL needs the partition key in every unique constraint; Django still
addresses rows by ``id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connections, transaction

DAILY_METRICS = "metrics_dailymetric"
PUBLISHED_PERIODS = "teams_publishedteamperiod"
TABLES = (DAILY_METRICS, PUBLISHED_PERIODS)


def default_partition(table: str) -> str:
    return f"{table}_default"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def partition_name(month: dt.date, table: str = DAILY_METRICS) -> str:
    return f"{table}_{month:%Y_%m}"


def is_partitioned(table: str = DAILY_METRICS, using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def partitions(table: str = DAILY_METRICS, using: str = "default") -> list[dict[str, Any]]:
    """The partitions attached now: name, bounds (as PostgreSQL states them) and rows
    (estimated from the planner's statistics)."""
    if not is_partitioned(table, using):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname, pg_get_expr(child.relpartbound, child.oid), child.reltuples
            FROM pg_inherits JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE parent.relname = %s ORDER BY child.relname
            """,
            [table],
        )
        return [
            {"name": name, "bounds": bounds, "rows": max(0, int(rows))}
            for name, bounds, rows in cursor.fetchall()
        ]


def ensure_months(
    first: dt.date, last: dt.date, *, tables: tuple[str, ...] = TABLES, using: str = "default"
) -> list[str]:
    """A partition for every month from ``first`` to ``last``; returns those it created.

    Idempotent. Rows the default partition holds for a new month move into it, in the same
    transaction, so creating a month for dates already written loses nothing."""
    created = []
    for table in tables:
        if not is_partitioned(table, using):
            continue
        existing = {p["name"] for p in partitions(table, using)}
        for month in months_between(first, last):
            name = partition_name(month, table)
            if name not in existing:
                _create_month(table, month, name, using)
                created.append(name)
    return created


def _create_month(table: str, month: dt.date, name: str, using: str) -> None:
    bounds = (month.isoformat(), next_month(month).isoformat())
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{default_partition(table)}" '
            "WHERE date >= %s AND date < %s RETURNING *) "
            f'INSERT INTO "{name}" SELECT * FROM moved',
            bounds,
        )
        cursor.execute(
            f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            bounds,
        )


def ensure_ahead(*, today: dt.date, months: int, using: str = "default") -> list[str]:
    """This month's partition and the next ``months`` months' (the daily beat task)."""
    last = today
    for _ in range(months):
        last = next_month(month_start(last))
    return ensure_months(month_start(today), last, using=using)


def detach_before(
    month: dt.date, *, table: str = DAILY_METRICS, using: str = "default"
) -> list[str]:
    """Detach every monthly partition that ends on or before ``month``'s first day; each stays
    a plain table of that name, to archive or drop. Returns the detached names."""
    if not is_partitioned(table, using):
        return []
    cutoff = month_start(month)
    detached = []
    for partition in partitions(table, using):
        name = partition["name"]
        if name == default_partition(table):
            continue
        year, number = name.removeprefix(f"{table}_").split("_")
        if next_month(dt.date(int(year), int(number), 1)) <= cutoff:
            with connections[using].cursor() as cursor:
                cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
            detached.append(name)
    return detached


# --- The conversion (migrations metrics 0007 and teams 0005) -----------------------------------


def _set_aside(cursor: Any, table: str, old: str) -> tuple[list[Any], list[Any]]:
    """Rename ``table`` to ``old`` with its constraints and indexes (names are per schema: this
    frees them for the new table); returns their names and definitions to rebuild them."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass ORDER BY contype DESC",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    for name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{name}" TO "{name}_old"')
    for name, _ in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_old"')
    return constraints, indexes


def migration(table: str) -> Any:
    """The migration operation that partitions ``table`` on PostgreSQL (and back when
    unapplied); nothing on other databases."""
    from django.db import migrations
    from django.utils import timezone

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                convert_to_partitioned(cursor, table=table, today=timezone.localdate())

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                convert_to_plain(cursor, table=table)

    return migrations.RunPython(forward, backward, elidable=False)


def convert_to_partitioned(cursor: Any, *, table: str, today: dt.date, ahead: int = 3) -> None:
    """Turn the plain table into a partitioned one: create it beside the old one, copy the
    rows, drop the old table and take its name, then rebuild every constraint and index under
    its old name (the primary key as (id, date))."""
    old = f"{table}_unpartitioned"
    constraints, indexes = _set_aside(cursor, table, old)
    cursor.execute(
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS) PARTITION BY RANGE (date)'
    )
    # An identity column cannot be partitioned before PostgreSQL 17: a sequence instead.
    cursor.execute(f'CREATE SEQUENCE "{table}_pid_seq" OWNED BY "{table}".id')
    cursor.execute(
        f"ALTER TABLE \"{table}\" ALTER COLUMN id SET DEFAULT nextval('{table}_pid_seq')"
    )
    cursor.execute(f'CREATE TABLE "{default_partition(table)}" PARTITION OF "{table}" DEFAULT')
    cursor.execute(f'SELECT min(date), max(date), max(id) FROM "{old}"')
    first, last, top = cursor.fetchone()
    first = min(first or today, today)
    last = max(last or today, today)
    for _ in range(ahead):
        last = next_month(month_start(last))
    for month in months_between(first, last):
        cursor.execute(
            f'CREATE TABLE "{partition_name(month, table)}" PARTITION OF "{table}" '
            "FOR VALUES FROM (%s) TO (%s)",
            [month.isoformat(), next_month(month).isoformat()],
        )
    cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    if top:
        cursor.execute(f"SELECT setval('{table}_pid_seq', %s)", [top])
    cursor.execute(f'DROP TABLE "{old}"')
    cursor.execute(f'ALTER SEQUENCE "{table}_pid_seq" RENAME TO "{table}_id_seq"')
    for name, kind, definition in constraints:
        if kind == "p":
            definition = "PRIMARY KEY (id, date)"  # the partition key in every unique key
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cursor.execute(definition)
    cursor.execute(f'ANALYZE "{table}"')


def convert_to_plain(cursor: Any, *, table: str) -> None:
    """The way back (unapplying migration 0007): one plain table with the same rows, the
    primary key on ``id`` again."""
    old = f"{table}_partitioned"
    constraints, indexes = _set_aside(cursor, table, old)
    cursor.execute(f'ALTER SEQUENCE "{table}_id_seq" RENAME TO "{table}_pid_seq"')
    cursor.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS)')
    cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    cursor.execute(f'ALTER SEQUENCE "{table}_pid_seq" OWNED BY "{table}".id')
    cursor.execute(f'DROP TABLE "{old}" CASCADE')
    cursor.execute(f'ALTER SEQUENCE "{table}_pid_seq" RENAME TO "{table}_id_seq"')
    cursor.execute(f"ALTER TABLE \"{table}\" ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")
    for name, kind, definition in constraints:
        if kind == "p":
            definition = "PRIMARY KEY (id)"
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cursor.execute(definition.replace(" ONLY ", " "))


def maintain(*, today: dt.date, ahead: int, retention_months: int) -> dict[str, list[str]]:
    """The daily upkeep: partitions ready ``ahead`` months ahead, and months older than
    ``retention_months`` (0: none) detached."""
    created = ensure_ahead(today=today, months=ahead)
    detached: list[str] = []
    if retention_months > 0:  # daily metrics only: published figures stay as published
        cutoff = month_start(today)
        for _ in range(retention_months):
            cutoff = month_start(cutoff - dt.timedelta(days=1))
        detached = detach_before(cutoff, table=DAILY_METRICS)
    return {"created": created, "detached": detached}
