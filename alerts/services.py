"""Writes of the alerts app: evaluation, acknowledgement, notification and reminders.

Evaluation is set-based: a fixed handful of aggregate queries over ``metrics.DailyMetric``
for all users and teams in scope, the pure rules of :mod:`alerts.rules` in memory, then bulk
writes. The number of queries does not depend on the number of employees.
"""

import datetime as dt
import json
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from metrics import baselines
from metrics.models import CheckIn, DailyMetric
from resonance.exceptions import DomainError
from teams.models import PublishedTeamDay, Team

from . import rules
from .models import BurnoutAlert, CheckinReminder

logger = logging.getLogger(__name__)

# Individual rules that make a person count as "at risk" for the team_at_risk share.
AT_RISK_RULES = ("sustained_risk", "low_flow", "decline")
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


# --- Evaluation ----------------------------------------------------------------------------


def _individual_findings(
    *, user_ids: list[int] | None, start: dt.date, window_start: dt.date, end: dt.date, t
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
        burnout_by_user[user_id].append(burnout)
    by_user = {row["user_id"]: row for row in aggregates}
    comparisons = _recent_comparisons(user_ids=user_ids, end=end, t=t)

    findings: dict[tuple[int, str], rules.Finding] = {}
    for user_id in by_user.keys() | burnout_by_user.keys():
        row = by_user.get(user_id, {})
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


def _recent_comparisons(
    *, user_ids: list[int] | None, end: dt.date, t
) -> dict[int, list[baselines.Comparison]]:
    """Each user's last check-in days (newest first, at most ``below_usual_of_last``, within
    the alert window) compared with their own baseline of the days before (one query)."""
    window_start = end - dt.timedelta(days=t.window_days - 1)
    start = window_start - dt.timedelta(days=baselines.BASELINE_DAYS)
    rows = DailyMetric.objects.filter(
        date__gte=start, date__lte=end, flow_score__isnull=False
    ).order_by("user_id", "date")
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    history: dict[int, dict[dt.date, dict]] = defaultdict(dict)
    for user_id, day, flow in rows.values_list("user_id", "date", "flow_score").iterator(
        chunk_size=10_000
    ):
        history[user_id][day] = {"flow_score": flow}
    result: dict[int, list[baselines.Comparison]] = {}
    for user_id, days in history.items():
        recent = sorted((d for d in days if d >= window_start), reverse=True)
        compared = [
            baselines.compare(days, day=d, metric="flow_score")
            for d in recent[: t.below_usual_of_last]
        ]
        result[user_id] = [c for c in compared if c is not None]
    return result


def _team_findings(
    *, team_ids: list[int] | None, start: dt.date, window_start: dt.date, end: dt.date, t
) -> dict[tuple[int, str], rules.Finding]:
    """Team rules over published team-days only (``teams.publication``): never a live day,
    never a hidden one, so a check-in or an erasure cannot move a team alert."""
    cells = PublishedTeamDay.objects.filter(
        date__gte=start, date__lte=end, status=PublishedTeamDay.Status.PUBLISHED
    )
    if team_ids is not None:
        cells = cells.filter(team_id__in=team_ids)
    current, previous = Q(date__gte=window_start), Q(date__lt=window_start)
    flow = Q(flow_score__isnull=False)
    at_risk = Q(at_risk_share__isnull=False)
    aggregates = (
        cells.values("team_id")
        .annotate(
            mean_flow=Avg("flow_score", filter=current & flow),
            days=Count("pk", filter=current & flow),
            previous_mean_flow=Avg("flow_score", filter=previous & flow),
            previous_days=Count("pk", filter=previous & flow),
            mean_at_risk_share=Avg("at_risk_share", filter=current & at_risk),
            at_risk_days=Count("pk", filter=current & at_risk),
        )
        .order_by()
    )
    findings: dict[tuple[int, str], rules.Finding] = {}
    for row in aggregates:
        for finding in rules.team_findings(
            mean_flow=row["mean_flow"],
            days=row["days"],
            previous_mean_flow=row["previous_mean_flow"],
            previous_days=row["previous_days"],
            at_risk_share=row["mean_at_risk_share"],
            at_risk_days=row["at_risk_days"],
            t=t,
        ):
            findings[(row["team_id"], finding.rule)] = finding
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


# --- Acknowledgement -----------------------------------------------------------------------


def alerts_erase_for_user(*, user: User) -> int:
    """Delete every individual alert of ``user`` (their data-erasure request).

    Team alerts stay: they hold team aggregates only. Returns the number deleted.
    """
    deleted, _ = BurnoutAlert.objects.filter(
        scope=BurnoutAlert.Scope.INDIVIDUAL, user=user
    ).delete()
    return deleted


@transaction.atomic
def alert_acknowledge(*, alert: BurnoutAlert, user: User) -> BurnoutAlert:
    """Mark a team alert as acknowledged by one of the team's managers (or an admin).

    Raises DomainError 403 for individual alerts or users who do not manage the team, and
    409 for a resolved alert. Acknowledging twice keeps the first acknowledgement.
    """
    alert = BurnoutAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.scope != BurnoutAlert.Scope.TEAM:
        raise DomainError("Only team alerts can be acknowledged.", status_code=403)
    manages = (
        user.is_manager
        and Team.managers.through.objects.filter(team_id=alert.team_id, user_id=user.pk).exists()
    )
    if not (user.is_admin_role or manages):
        raise DomainError("Only the team's managers can acknowledge this alert.", status_code=403)
    if alert.status == BurnoutAlert.Status.RESOLVED:
        raise DomainError("This alert is already resolved.", status_code=409, code="resolved")
    if alert.status == BurnoutAlert.Status.ACKNOWLEDGED:
        return alert
    now = timezone.now()
    alert.status = BurnoutAlert.Status.ACKNOWLEDGED
    alert.acknowledged_by = user
    alert.acknowledged_at = now
    alert.updated_at = now
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "updated_at"])
    return alert


# --- Notification --------------------------------------------------------------------------


def _send_after_commit(messages: list[EmailMessage], what: str) -> None:
    def send() -> None:
        try:
            get_connection().send_messages(messages)
        except (OSError, smtplib.SMTPException):
            logger.exception("Could not send %d %s email(s).", len(messages), what)

    if messages:
        transaction.on_commit(send)


def _alert_email(alert: BurnoutAlert, recipient: User) -> EmailMessage:
    if alert.scope == BurnoutAlert.Scope.TEAM:
        subject = f"[Resonance] {alert.team.name}: {alert.get_rule_display()}"
        intro = f"A team alert was raised for {alert.team.name}, a team you manage."
    else:
        subject = f"[Resonance] {alert.get_rule_display()}"
        intro = "Resonance noticed a pattern in your recent check-ins. Only you can see this."
    body = "\n\n".join(
        [
            f"Hello {recipient.get_short_name() or recipient.get_username()},",
            intro,
            f"{alert.message} (severity: {alert.get_severity_display().lower()})",
            alert.guidance,
            (
                "Open Resonance to see details. You can turn these emails off under Email "
                "preferences (/alerts/preferences/)."
            ),
        ]
    )
    return EmailMessage(subject=subject, body=body, to=[recipient.email])


@transaction.atomic
def alerts_notify(*, user_ids: list[int] | None = None, team_ids: list[int] | None = None) -> int:
    """Email new or escalated open alerts of the given targets (None = all) to the people
    allowed to see them: the employee for an individual alert, the team's managers for a team
    alert. Users with ``email_alerts`` off are skipped.

    Each alert is claimed (``notified_on`` = today, ``notified_severity``) under row locks that
    concurrent runs skip, so an alert is emailed at most once a day. Emails go out after commit.
    Returns the number of emails queued.
    """
    today = timezone.localdate()
    target = Q()
    if user_ids is not None:
        target |= Q(scope=BurnoutAlert.Scope.INDIVIDUAL, user_id__in=user_ids)
    if team_ids is not None:
        target |= Q(scope=BurnoutAlert.Scope.TEAM, team_id__in=team_ids)
    candidates = BurnoutAlert.objects.filter(_SEVERITY_ESCALATIONS, status="open").exclude(
        notified_on=today
    )
    if user_ids is not None or team_ids is not None:
        candidates = candidates.filter(target)
    claimed = list(
        candidates.select_for_update(skip_locked=True).values_list("pk", flat=True).order_by()
    )
    if not claimed:
        return 0
    BurnoutAlert.objects.filter(pk__in=claimed).update(
        notified_on=today, notified_severity=F("severity")
    )
    alerts = list(BurnoutAlert.objects.filter(pk__in=claimed).select_related("user", "team"))
    managers_by_team: dict[int, list[User]] = defaultdict(list)
    team_ids_claimed = {a.team_id for a in alerts if a.team_id}
    if team_ids_claimed:
        links = Team.managers.through.objects.filter(
            team_id__in=team_ids_claimed,
            user__is_active=True,
            user__email_alerts=True,
            user__role__in=[User.Role.MANAGER, User.Role.ADMIN],
        ).select_related("user")
        for link in links:
            managers_by_team[link.team_id].append(link.user)

    messages: list[EmailMessage] = []
    for alert in alerts:
        if alert.scope == BurnoutAlert.Scope.TEAM:
            recipients = managers_by_team.get(alert.team_id, [])
        elif alert.user.is_active and alert.user.email_alerts:
            recipients = [alert.user]
        else:
            recipients = []
        messages.extend(_alert_email(alert, r) for r in recipients if r.email)
    _send_after_commit(messages, "alert")
    return len(messages)


# --- Check-in reminders --------------------------------------------------------------------


@transaction.atomic
def checkin_reminders_send(*, on_date: dt.date) -> int:
    """Email every active, consenting employee who has not checked in on ``on_date``.

    Skips users with ``email_reminders`` off or no email address, and users already reminded
    that day (a ``CheckinReminder`` row per user and day), so running it twice sends nothing
    new. Emails go out after commit. Returns the number of reminders queued.
    """
    checked_in = DailyMetric.objects.filter(date=on_date).values("user_id")
    # A check-in still being scored counts: its DailyMetric row appears only after scoring.
    submitted = CheckIn.objects.filter(
        Q(local_date=on_date) | Q(local_date__isnull=True, created_at__date=on_date)
    ).values("user_id")
    reminded = CheckinReminder.objects.filter(date=on_date).values("user_id")
    users = list(
        User.objects.filter(
            role=User.Role.EMPLOYEE,
            is_active=True,
            email_reminders=True,
            biometric_consent_at__isnull=False,
        )
        .exclude(email="")
        .exclude(pk__in=checked_in)
        .exclude(pk__in=submitted)
        .exclude(pk__in=reminded)
    )
    if not users:
        return 0
    CheckinReminder.objects.bulk_create(
        [CheckinReminder(user=u, date=on_date) for u in users], ignore_conflicts=True
    )
    messages = [
        EmailMessage(
            subject="[Resonance] Your daily check-in",
            body=(
                f"Hello {u.get_short_name() or u.get_username()},\n\n"
                "You have not checked in today. A photo and a short voice clip take under a "
                "minute and keep your trends (and your team's) up to date.\n\n"
                "You can turn these reminders off under Email preferences (/alerts/preferences/)."
            ),
            to=[u.email],
        )
        for u in users
    ]
    _send_after_commit(messages, "reminder")
    return len(messages)


# --- Preferences ---------------------------------------------------------------------------


@transaction.atomic
def notification_preferences_update(
    *, user: User, email_alerts: bool, email_reminders: bool
) -> User:
    """Set whether ``user`` receives alert emails and daily check-in reminders (own account)."""
    user.email_alerts = email_alerts
    user.email_reminders = email_reminders
    user.save(update_fields=["email_alerts", "email_reminders"])
    return user
