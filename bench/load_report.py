"""What a load run reports besides its traffic: latency percentiles, the machine's load, how long
the worker took to drain the queue, and whether every accepted check-in was scored exactly once.

The checks read the benchmark's database through the ORM (Django set up by
``bench.load_stack.prepare_stack``).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from metrics.models import CheckIn


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine_load() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "loadavg_1m": round(load1, 2),
        "loadavg_5m": round(load5, 2),
    }


def drain(accepted: Collection[int], timeout: float) -> float:
    """Seconds until none of ``accepted`` is pending or processing; NaN after ``timeout``."""
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


def _done_per_day(rows: QuerySet[CheckIn]) -> dict[tuple[int, dt.date | None], int]:
    """(user id, local date) -> how many of ``rows`` are done."""
    from django.db.models import Count

    from metrics.models import CheckIn

    return {
        (r["user_id"], r["local_date"]): r["n"]
        for r in rows.filter(status=CheckIn.Status.DONE)
        .values("user_id", "local_date")
        .annotate(n=Count("id"))
    }


def exactly_once(accepted: list[int]) -> dict[str, Any]:
    """Every accepted check-in scored once: done/failed-with-reason, one daily contribution."""
    from django.db.models import Count

    from metrics.models import CheckIn, DailyMetric

    rows = CheckIn.objects.filter(pk__in=accepted)
    by_status = dict(rows.values_list("status").annotate(n=Count("id")))
    done_per_day = _done_per_day(rows)
    dates = {day for _, day in done_per_day if day is not None}
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


def loss_check(accepted: set[int]) -> dict[str, Any]:
    """Nothing accepted was lost: every check-in done or failed with a reason, the daily
    metrics (of the whole database) matching the done check-ins, no media left behind."""
    from django.db.models import Count, Sum

    from metrics.models import CheckIn, DailyMetric

    rows = CheckIn.objects.filter(pk__in=accepted)
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    failed_without_reason = rows.filter(status=CheckIn.Status.FAILED, failure_reason="").count()
    done_per_day = _done_per_day(rows)
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
