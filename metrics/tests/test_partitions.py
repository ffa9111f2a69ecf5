"""Daily metrics and published team periods partitioned by month on PostgreSQL
(resonance.partitions; migrations metrics 0007 and teams 0005)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from metrics.models import DailyMetric
from resonance import partitions

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Partitions need PostgreSQL (set DATABASE_URL)."
)


def _rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM ONLY "{table}"')
        return int(cursor.fetchone()[0])


def _metric(user, day: dt.date, flow: float = 60.0) -> DailyMetric:
    return DailyMetric.objects.create(user=user, team=user.team, date=day, flow_score=flow)


@pytest.mark.django_db
def test_nothing_to_do_on_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's behaviour")
    assert partitions.is_partitioned() is False
    assert partitions.ensure_months(dt.date(2020, 1, 1), dt.date(2020, 3, 1)) == []
    assert partitions.detach_before(dt.date(2030, 1, 1)) == []


@postgres_only
@pytest.mark.django_db
def test_a_month_without_a_partition_is_caught_then_moved_and_detached(employee):
    assert partitions.is_partitioned()
    old = _metric(employee, dt.date(2019, 3, 10), 41.0)
    default = partitions.default_partition(partitions.DAILY_METRICS)
    assert _rows_in(default) == 1  # nothing is refused

    created = partitions.ensure_months(dt.date(2019, 3, 1), dt.date(2019, 4, 30))

    assert created == [
        "metrics_dailymetric_2019_03",
        "metrics_dailymetric_2019_04",
        "teams_publishedteamperiod_2019_03",
        "teams_publishedteamperiod_2019_04",
    ]
    assert _rows_in(default) == 0
    assert _rows_in("metrics_dailymetric_2019_03") == 1
    assert DailyMetric.objects.get(pk=old.pk).flow_score == 41.0
    assert partitions.ensure_months(dt.date(2019, 3, 1), dt.date(2019, 4, 30)) == []
    # The partition keeps the table's rules: one row per person and day.
    with pytest.raises(IntegrityError), transaction.atomic():
        _metric(employee, dt.date(2019, 3, 10))

    assert partitions.detach_before(dt.date(2019, 4, 1)) == ["metrics_dailymetric_2019_03"]
    assert not DailyMetric.objects.filter(pk=old.pk).exists()
    assert _rows_in("metrics_dailymetric_2019_03") == 1  # kept as a plain table


@postgres_only
@pytest.mark.django_db
def test_maintain_keeps_months_ready_ahead_and_detaches_past_retention(employee):
    today = dt.date(2031, 5, 20)
    _metric(employee, dt.date(2030, 12, 3))
    partitions.ensure_months(dt.date(2030, 12, 1), dt.date(2030, 12, 31))

    result = partitions.maintain(today=today, ahead=2, retention_months=4)

    assert result["created"] == [
        f"{table}_{month}"
        for table in partitions.TABLES
        for month in ("2031_05", "2031_06", "2031_07")
    ]
    # Four months kept (2031-01 to 2031-04 and the current one): every earlier month detached.
    assert "metrics_dailymetric_2030_12" in result["detached"]
    assert all(name[-7:] < "2031_01" for name in result["detached"])
    assert "metrics_dailymetric_2031_05" not in result["detached"]
    # Published figures are never detached by the daily metrics' retention.
    assert not any(name.startswith("teams_") for name in result["detached"])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_conversion_keeps_every_row_of_a_populated_table(employee, teammate):
    call_command("migrate", "metrics", "0006", verbosity=0)
    try:
        assert not partitions.is_partitioned()
        days = [dt.date(2026, 9, 30), dt.date(2026, 10, 1), dt.date(2026, 11, 15)]
        written = [_metric(person, day) for person in (employee, teammate) for day in days]
        top = max(m.pk for m in written)
    finally:
        call_command("migrate", "metrics", verbosity=0)

    assert partitions.is_partitioned()
    assert partitions.is_partitioned(partitions.PUBLISHED_PERIODS)
    assert DailyMetric.objects.count() == 6
    assert {m.pk for m in DailyMetric.objects.all()} == {m.pk for m in written}
    assert _rows_in("metrics_dailymetric_2026_10") == 2
    assert _rows_in("metrics_dailymetric_2026_09") == 2
    fresh = _metric(employee, dt.date(2026, 11, 16))
    assert fresh.pk > top  # the id sequence goes on from the copied rows
    DailyMetric.objects.filter(pk=fresh.pk).update(flow_score=12.0)
    assert DailyMetric.objects.get(pk=fresh.pk).flow_score == 12.0
    with pytest.raises(IntegrityError), transaction.atomic():
        _metric(teammate, dt.date(2026, 10, 1))
    DailyMetric.objects.filter(pk=fresh.pk).delete()
    assert DailyMetric.objects.count() == 6
