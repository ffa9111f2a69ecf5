"""Alert evaluation: the rules of :mod:`alerts.rules` over the metrics, then bulk writes.

Evaluation is set-based: a fixed handful of aggregate queries over ``metrics.DailyMetric``
for all users and teams in scope, the pure rules of :mod:`alerts.rules` in memory, then bulk
writes. The number of queries does not depend on the number of employees.
"""

import calendar
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from alerts import rules
from alerts.models import BurnoutAlert
from metrics import baselines
from metrics.models import DailyMetric
from teams.models import PublishedTeamPeriod

from .notifications import alerts_notify

# Individual rules that make a person count as "at risk" for the team_at_risk share.
AT_RISK_RULES = ("sustained_risk", "low_flow", "decline")
DAYS_PER_WEEK = 7
# Rules that compare against the previous window report the two-window span.
_TWO_WINDOW_RULES = {"decline", "team_decline", "sustained_risk"}
_SEVERITY_ESCALATIONS = (
    Q(notified_severity="")
    | Q(severity="high", notified_severity__in=["low", "medium"])
    | Q(severity="medium", notified_severity="low")
)


def current_thresholds() -> rules.Thresholds:
    # Group size is settled at publication: team rules only ever see published days.
    return rules.Thresholds.from_mapping(settings.ALERT_THRESHOLDS)


def _individual_findings(
    *,
    user_ids: list[int] | None,
    start: dt.date,
    window_start: dt.date,
    end: dt.date,
    t: rules.Thresholds,
) -> dict[tuple[int, str], rules.Finding]:
    metrics = DailyMetric.objects.filter(date__gte=start, date__lte=end)
    if user_ids is not None:
        metrics = metrics.filter(user_id__in=user_ids)
    current, previous = Q(date__gte=window_start), Q(date__lt=window_start)
    aggregates = (
        metrics.filter(flow_score__isnull=False)
        .values("user_id")
        .annotate(
            mean_flow=Avg("flow_score", filter=current),
            days=Count("pk", filter=current),
            previous_mean_flow=Avg("flow_score", filter=previous),
            previous_days=Count("pk", filter=previous),
        )
        .order_by()
    )
    # The last N check-in days with a burnout score, per user, ranked in the database.
    recent = (
        metrics.filter(burnout__isnull=False)
        .annotate(
            recency=Window(RowNumber(), partition_by=[F("user_id")], order_by=F("date").desc())
        )
        .filter(recency__lte=t.sustained_of_last)
        .values_list("user_id", "burnout")
    )
    burnout_by_user: dict[int, list[float]] = defaultdict(list)
    for user_id, burnout in recent:
        if burnout is not None:  # always true (filtered above); narrows the type
            burnout_by_user[user_id].append(burnout)
    by_user = {row["user_id"]: row for row in aggregates}
    comparisons = _recent_comparisons(user_ids=user_ids, end=end, t=t)

    findings: dict[tuple[int, str], rules.Finding] = {}
    for user_id in by_user.keys() | burnout_by_user.keys():
        row: Mapping[str, Any] = by_user.get(user_id, {})
        for finding in rules.individual_findings(
            mean_flow=row.get("mean_flow"),
            days=row.get("days", 0),
            previous_mean_flow=row.get("previous_mean_flow"),
            previous_days=row.get("previous_days", 0),
            recent_burnout=burnout_by_user.get(user_id, []),
            recent_comparisons=comparisons.get(user_id, []),
            t=t,
        ):
            findings[(user_id, finding.rule)] = finding
    return findings


FETCH_ROWS = 100_000  # rows turned into an array at a time: memory stays a few arrays' worth


def _flow_matrix(
    *, user_ids: list[int] | None, start: dt.date, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """The FlowScores of ``days`` days from ``start``: the user ids and a (users x days) array
    with NaN where a day has no score. One query, read straight into arrays (millions of rows
    at a large company: no model instances, no per-row Python objects beyond the fetch)."""
    table = connection.ops.quote_name(DailyMetric._meta.db_table)
    if connection.vendor == "postgresql":
        offset = "date - %s::date"
    else:
        offset = "CAST(julianday(date) - julianday(%s) AS INTEGER)"
    end = start + dt.timedelta(days=days - 1)
    sql = (
        f"SELECT user_id, {offset}, flow_score FROM {table} "
        "WHERE date >= %s AND date <= %s AND flow_score IS NOT NULL"
    )
    params: list[dt.date | int] = [start, start, end]
    if user_ids is not None:
        if not user_ids:
            return np.empty(0, dtype=np.int64), np.empty((0, days))
        sql += f" AND user_id IN ({', '.join(['%s'] * len(user_ids))})"
        params += user_ids
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.asarray(batch, dtype=np.float64))
    rows = np.concatenate(chunks) if chunks else np.empty((0, 3))
    users, person = np.unique(rows[:, 0].astype(np.int64), return_inverse=True)
    flows = np.full((len(users), days), np.nan)
    flows[person, rows[:, 1].astype(np.int64)] = rows[:, 2]
    return users, flows


def _recent_comparisons(
    *, user_ids: list[int] | None, end: dt.date, t: rules.Thresholds
) -> dict[int, list[baselines.Comparison]]:
    """Each user's last check-in days (newest first, at most ``below_usual_of_last``, within
    the alert window) compared with their own baseline of the days before (one query).

    Everyone at once: the FlowScores go into a (people x days) array and each window day's
    baseline is computed for every row together (``baselines.baseline_rows``, the same numbers
    as ``baselines.compare`` day by day)."""
    window_start = end - dt.timedelta(days=t.window_days - 1)
    start = window_start - dt.timedelta(days=baselines.BASELINE_DAYS)
    days = (end - start).days + 1
    users, flows = _flow_matrix(user_ids=user_ids, start=start, days=days)
    if not len(users):
        return {}
    first = (window_start - start).days
    picked = np.zeros(len(users), dtype=int)
    found: list[tuple[int, int, float, float, float, int]] = []  # person, day, value, ...
    for column in range(days - 1, first - 1, -1):  # newest window day first
        present = ~np.isnan(flows[:, column]) & (picked < t.below_usual_of_last)
        if not present.any():
            continue
        picked += present
        usual, spread, count = baselines.baseline_rows(
            flows[present, column - baselines.BASELINE_DAYS : column], metric="flow_score"
        )
        for person, value, median, width, n in zip(
            np.flatnonzero(present).tolist(),
            flows[present, column].tolist(),
            usual.tolist(),
            spread.tolist(),
            count.tolist(),
            strict=True,
        ):
            if median == median:  # not NaN: enough days for a baseline
                found.append((person, column, value, median, width, n))
    ids = users.tolist()
    result: dict[int, list[baselines.Comparison]] = {user_id: [] for user_id in ids}
    for person, _column, value, median, width, n in sorted(found, key=lambda f: (f[0], -f[1])):
        result[ids[person]].append(
            baselines.Comparison(
                metric="flow_score",
                value=value,
                usual=median,
                spread=width,
                days=n,
                z=(value - median) / width,
            )
        )
    return result


def _team_findings(
    *,
    team_ids: list[int] | None,
    start: dt.date,
    window_start: dt.date,
    end: dt.date,
    t: rules.Thresholds,
) -> dict[tuple[int, str], rules.Finding]:
    """Team rules over published team periods only (``teams.publication``): never a live day,
    never a hidden one, so a check-in or an erasure cannot move a team alert. The FlowScore
    rules read the team's latest published week (one that started in the last three weeks)
    against the week before it; the at-risk rule reads the latest published month. A week
    counts as 7 published days, a month as its days."""
    del start, window_start  # the day windows of the individual rules: periods replace them
    Period, Status = PublishedTeamPeriod.Period, PublishedTeamPeriod.Status
    cells = PublishedTeamPeriod.objects.filter(status=Status.PUBLISHED, date__lte=end).filter(
        Q(period=Period.WEEK, date__gte=end - dt.timedelta(days=4 * DAYS_PER_WEEK))
        | Q(period=Period.MONTH, date__gte=end - dt.timedelta(days=62))
    )
    if team_ids is not None:
        cells = cells.filter(team_id__in=team_ids)
    weeks: dict[int, dict[dt.date, float | None]] = defaultdict(dict)
    at_risk: dict[int, tuple[float, int]] = {}
    for team_id, period, first, flow, share in cells.order_by("team_id", "-date").values_list(
        "team_id", "period", "date", "flow_score", "at_risk_share"
    ):
        if period == Period.WEEK:
            weeks[team_id][first] = flow
        elif share is not None and team_id not in at_risk:
            at_risk[team_id] = (share, calendar.monthrange(first.year, first.month)[1])
    findings: dict[tuple[int, str], rules.Finding] = {}
    for team_id in weeks.keys() | at_risk.keys():
        latest = max(
            (w for w in weeks[team_id] if w >= end - dt.timedelta(days=3 * DAYS_PER_WEEK - 1)),
            default=None,
        )
        flow = weeks[team_id].get(latest) if latest else None
        previous = weeks[team_id].get(latest - dt.timedelta(days=DAYS_PER_WEEK)) if latest else None
        share, month_days = at_risk.get(team_id, (None, 0))
        for finding in rules.team_findings(
            mean_flow=flow,
            days=DAYS_PER_WEEK if flow is not None else 0,
            previous_mean_flow=previous,
            previous_days=DAYS_PER_WEEK if previous is not None else 0,
            at_risk_share=share,
            at_risk_days=month_days,
            t=t,
        ):
            findings[(team_id, finding.rule)] = finding
    return findings


def _apply(
    *,
    scope: str,
    findings: dict[tuple[int, str], rules.Finding],
    active: dict[tuple[int, str], BurnoutAlert],
    start: dt.date,
    window_start: dt.date,
    end: dt.date,
    now: dt.datetime,
) -> dict[str, int]:
    """Create, update and resolve alerts of one scope so that they match ``findings``."""
    target_field = "user_id" if scope == BurnoutAlert.Scope.INDIVIDUAL else "team_id"
    to_create: list[BurnoutAlert] = []
    to_update: list[BurnoutAlert] = []
    escalated = 0
    for key, finding in findings.items():
        first_day = start if finding.rule in _TWO_WINDOW_RULES else window_start
        values = {
            "severity": finding.severity,
            "message": finding.message,
            "snapshot": finding.snapshot,
            "window_start": first_day,
            "window_end": end,
        }
        alert = active.get(key)
        if alert is None:
            to_create.append(
                BurnoutAlert(scope=scope, rule=finding.rule, **{target_field: key[0]}, **values)
            )
            continue
        changed = any(getattr(alert, name) != value for name, value in values.items())
        if rules.is_escalation(alert.severity, finding.severity):
            escalated += 1
            # Escalation reopens an acknowledged alert: it needs fresh attention.
            alert.status = BurnoutAlert.Status.OPEN
            alert.acknowledged_by = None
            alert.acknowledged_at = None
        if changed:
            for name, value in values.items():
                setattr(alert, name, value)
            alert.updated_at = now
            to_update.append(alert)

    # A concurrent evaluation may have inserted the same alert; the constraint keeps one.
    BurnoutAlert.objects.bulk_create(to_create, ignore_conflicts=True)
    if to_update:
        _bulk_update_alerts(to_update, now=now)
    cleared = [alert.pk for key, alert in active.items() if key not in findings]
    if cleared:
        BurnoutAlert.objects.filter(pk__in=cleared).update(
            status=BurnoutAlert.Status.RESOLVED, resolved_at=now, updated_at=now
        )
    return {
        "created": len(to_create),
        "updated": len(to_update),
        "escalated": escalated,
        "resolved": len(cleared),
    }


_UPDATED_FIELDS = [
    "severity",
    "message",
    "snapshot",
    "window_start",
    "window_end",
    "status",
    "acknowledged_by",
    "acknowledged_at",
    "updated_at",
]
_RECORDSET_COLUMNS = (
    "id bigint, severity varchar, message text, snapshot jsonb, window_start date, "
    "window_end date, status varchar, acknowledged_by_id bigint, acknowledged_at timestamptz"
)


def _bulk_update_alerts(alerts: list[BurnoutAlert], *, now: dt.datetime) -> None:
    """Write the changed fields of many alerts in one statement.

    On PostgreSQL the rows travel as one JSON parameter joined with ``jsonb_to_recordset``:
    ``bulk_update`` builds a CASE per field and row, which costs seconds of Python for the
    daily evaluation of a large organisation (see bench/alerts.py).
    """
    if connection.vendor != "postgresql":
        BurnoutAlert.objects.bulk_update(alerts, _UPDATED_FIELDS)
        return
    rows = [
        {
            "id": a.pk,
            "severity": a.severity,
            "message": a.message,
            "snapshot": a.snapshot,
            "window_start": a.window_start,
            "window_end": a.window_end,
            "status": a.status,
            "acknowledged_by_id": a.acknowledged_by_id,
            "acknowledged_at": a.acknowledged_at,
        }
        for a in alerts
    ]
    table = connection.ops.quote_name(BurnoutAlert._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET severity = x.severity, message = x.message, "
            "snapshot = x.snapshot, window_start = x.window_start, window_end = x.window_end, "
            "status = x.status, acknowledged_by_id = x.acknowledged_by_id, "
            "acknowledged_at = x.acknowledged_at, updated_at = %s "
            f"FROM jsonb_to_recordset(%s::jsonb) AS x({_RECORDSET_COLUMNS}) WHERE a.id = x.id",
            [now, json.dumps(rows, cls=DjangoJSONEncoder)],
        )


def _active_alerts(
    *, scope: str, target_ids: list[int] | None
) -> dict[tuple[int, str], BurnoutAlert]:
    qs = BurnoutAlert.objects.select_for_update().filter(
        scope=scope, status__in=BurnoutAlert.ACTIVE_STATUSES
    )
    field = "user_id" if scope == BurnoutAlert.Scope.INDIVIDUAL else "team_id"
    if target_ids is not None:
        qs = qs.filter(**{f"{field}__in": target_ids})
    return {(getattr(alert, field), alert.rule): alert for alert in qs}


@transaction.atomic
def alerts_evaluate(
    *,
    on_date: dt.date,
    user_ids: list[int] | None = None,
    team_ids: list[int] | None = None,
    notify: bool = True,
) -> dict[str, Any]:
    """Evaluate every rule as of ``on_date`` for the given users and teams (None = all).

    Idempotent: running it again for the same day and data creates and changes nothing.
    Side effects: creates alerts that fire, updates active ones (an escalation reopens an
    acknowledged alert), resolves active alerts in scope whose condition cleared, and (with
    ``notify``) emails new or escalated open alerts after commit, once per alert per day.
    Locks the active alerts in scope for the duration of the transaction.
    """
    t = current_thresholds()
    window_start = on_date - dt.timedelta(days=t.window_days - 1)
    start = window_start - dt.timedelta(days=t.window_days)
    now = timezone.now()
    summary: dict[str, Any] = {"date": on_date.isoformat()}

    scopes = (
        ("individual", BurnoutAlert.Scope.INDIVIDUAL, _individual_findings, "user_ids", user_ids),
        ("team", BurnoutAlert.Scope.TEAM, _team_findings, "team_ids", team_ids),
    )
    for key, scope, find, ids_arg, target_ids in scopes:
        summary[key] = {"created": 0, "updated": 0, "escalated": 0, "resolved": 0}
        if target_ids is not None and not target_ids:
            continue  # an explicitly empty scope: nothing to evaluate
        findings = find(
            **{ids_arg: target_ids}, start=start, window_start=window_start, end=on_date, t=t
        )
        summary[key] = _apply(
            scope=scope,
            findings=findings,
            active=_active_alerts(scope=scope, target_ids=target_ids),
            start=start,
            window_start=window_start,
            end=on_date,
            now=now,
        )
    summary["notified"] = alerts_notify(user_ids=user_ids, team_ids=team_ids) if notify else 0
    return summary


def alerts_evaluate_for_user(*, user_id: int, on_date: dt.date) -> dict[str, Any]:
    """Evaluate one user's individual rules for ``on_date`` (after a check-in or an erasure).

    Team rules are not evaluated here: they read published days only, which a check-in
    never changes; they run after each publication and in the daily evaluation. A user who
    no longer exists evaluates nothing.
    """
    if not User.objects.filter(pk=user_id).exists():
        return {"date": on_date.isoformat(), "skipped": "user not found"}
    return alerts_evaluate(on_date=on_date, user_ids=[user_id], team_ids=[])


def alerts_evaluate_for_teams(*, team_ids: list[int], on_date: dt.date) -> dict[str, Any]:
    """Evaluate the team rules of ``team_ids`` as of ``on_date`` (after a publication)."""
    return alerts_evaluate(on_date=on_date, user_ids=[], team_ids=team_ids)


def individual_alert_periods(
    user_ids: Iterable[int],
) -> list[tuple[int, dt.datetime, dt.datetime | None]]:
    """When each of ``user_ids`` had an individual alert active: (user, opened, resolved).

    Publication reads this to release the share of a day's contributors at risk that day.
    Only the burnout rules count: "below your usual" is about the person's own rhythm.
    """
    return list(
        BurnoutAlert.objects.filter(
            scope=BurnoutAlert.Scope.INDIVIDUAL,
            rule__in=AT_RISK_RULES,
            user_id__in=list(user_ids),
        ).values_list("user_id", "created_at", "resolved_at")
    )
