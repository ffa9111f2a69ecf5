"""Reads for meeting-excuse emails. Bodies are only ever returned to their author."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet

from accounts.models import User
from metrics.day_figures import day_figures_for
from metrics.models import DailyMetric

from .models import EXCUSE_FIELDS, ExcuseEmail

# The same line as the "low flow" alert: below it, a break is a reason worth suggesting.
WELLBEING_SUGGESTION_BELOW = 40.0
# From this many hours of meetings today (read from the person's calendar), "already
# over-booked" is a fair reason to suggest.
OVERBOOKED_SUGGESTION_HOURS = 5.0


@dataclass(frozen=True)
class ReasonSuggestion:
    reason: str | None
    flow_score: float | None
    # Today's meeting hours from the connected calendar; None without one.
    meeting_hours: float | None = None


def check_can_write_excuses(user: User | AnonymousUser) -> User:
    """Employees write excuse emails; managers and admins don't have a history here.

    Returns ``user``, now known to be a signed-in employee.
    """
    if not (user.is_authenticated and user.is_employee):
        raise PermissionDenied("Meeting-excuse emails are available to employees.")
    return user


def excuse_history_for(*, user: User, limit: int = 20) -> QuerySet[ExcuseEmail]:
    """The user's own most recent emails (never anyone else's)."""
    return ExcuseEmail.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def excuse_for(*, user: User, pk: int) -> ExcuseEmail | None:
    """One of the user's own emails; someone else's id is simply not found."""
    return ExcuseEmail.objects.filter(user=user, pk=pk).first()


def user_zone(user: User) -> ZoneInfo:
    """The user's time zone, or the site's when theirs is unset or unknown."""
    return user.zone


def today_flow_score_for(*, user: User, now: dt.datetime | None = None) -> float | None:
    """Today's FlowScore (today in the user's time zone), or None without a check-in today."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(user_zone(user)).date()
    return (
        DailyMetric.objects.filter(user=user, date=today, flow_score__isnull=False)
        .values_list("flow_score", flat=True)
        .first()
    )


def today_meeting_hours_for(*, user: User, now: dt.datetime | None = None) -> float | None:
    """Today's meeting hours from the user's connected calendar, or None without one."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(user_zone(user)).date()
    figures = day_figures_for(user=user, date_from=today, date_to=today).get(today, {})
    hours = figures.get("meeting_hours")
    return None if hours is None else float(hours)


def suggested_reason_for(*, user: User, now: dt.datetime | None = None) -> ReasonSuggestion:
    """Suggest "wellbeing" when today's FlowScore is low, otherwise "overbooked" when today's
    calendar is full of meetings; the user still chooses."""
    score = today_flow_score_for(user=user, now=now)
    meeting_hours = today_meeting_hours_for(user=user, now=now)
    reason = None
    if score is not None and score < WELLBEING_SUGGESTION_BELOW:
        reason = "wellbeing"
    elif meeting_hours is not None and meeting_hours >= OVERBOOKED_SUGGESTION_HOURS:
        reason = "overbooked"
    return ReasonSuggestion(reason=reason, flow_score=score, meeting_hours=meeting_hours)


def excuse_counts(*, user: User | AnonymousUser) -> dict[str, dict[str, int]]:
    """How many emails were written, by reason, tone and backend. Admins only; no content."""
    if not (user.is_authenticated and user.is_admin_role):
        raise PermissionDenied("Only admins can see excuse statistics.")
    counts: dict[str, dict[str, int]] = {}
    for field in ("reason", "tone", "backend"):
        rows = ExcuseEmail.objects.values(field).annotate(n=Count("id")).order_by(field)
        counts[field] = {row[field]: row["n"] for row in rows}
    counts["total"] = {"all": ExcuseEmail.objects.count()}
    return counts


def export_excuses_of(sender: object, *, user: User, **kwargs: Any) -> dict[str, list[dict]]:
    """The person's saved meeting-excuse emails, oldest first (a receiver of
    ``metrics.signals.personal_data_exporting``, for their data export)."""
    return {
        "meeting_excuses": [
            dict(row)
            for row in ExcuseEmail.objects.filter(user=user)
            .order_by("created_at")
            .values(*EXCUSE_FIELDS)
        ]
    }
