"""Reads of alerts, scoped to what the acting user may see.

Individual alerts are visible to the employee they concern (and to admins through the API and
the Django admin), never to managers. Team alerts are visible to the managers of that team and
to admins.
"""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import User
from teams.selectors import teams_visible_to

from .models import BurnoutAlert

_SEVERITY_RANK = Case(
    When(severity=BurnoutAlert.Severity.HIGH, then=Value(0)),
    When(severity=BurnoutAlert.Severity.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_STATUS_RANK = Case(
    When(status=BurnoutAlert.Status.OPEN, then=Value(0)),
    When(status=BurnoutAlert.Status.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _ordered(qs: QuerySet[BurnoutAlert]) -> QuerySet[BurnoutAlert]:
    return qs.annotate(_status_rank=_STATUS_RANK, _severity_rank=_SEVERITY_RANK).order_by(
        "_status_rank", "_severity_rank", "-created_at", "-pk"
    )


def _managed_team_alerts(user: User) -> QuerySet[BurnoutAlert]:
    qs = BurnoutAlert.objects.filter(scope=BurnoutAlert.Scope.TEAM)
    if user.is_admin_role:
        return qs
    return qs.filter(team__in=teams_visible_to(user=user))


def team_alerts_for(*, user: User) -> QuerySet[BurnoutAlert]:
    """Active (open or acknowledged) team alerts of the teams ``user`` manages; all for admins.

    Employees get nothing. Most urgent first: open before acknowledged, then by severity.
    """
    if not user.is_authenticated:
        return BurnoutAlert.objects.none()
    qs = _managed_team_alerts(user).filter(status__in=BurnoutAlert.ACTIVE_STATUSES)
    return _ordered(qs.select_related("team", "acknowledged_by"))


def individual_alerts_for(*, user: User) -> QuerySet[BurnoutAlert]:
    """The active individual alerts about ``user`` themself ("my alerts"), most urgent first."""
    if not user.is_authenticated:
        return BurnoutAlert.objects.none()
    qs = BurnoutAlert.objects.filter(
        scope=BurnoutAlert.Scope.INDIVIDUAL,
        user=user,
        status__in=BurnoutAlert.ACTIVE_STATUSES,
    )
    return _ordered(qs)


def alerts_visible_to(*, user: User, statuses: list[str] | None = None) -> QuerySet[BurnoutAlert]:
    """Every alert ``user`` may list: own individual alerts, team alerts of managed teams;
    admins see all. ``statuses`` narrows the result (default: every status)."""
    if not user.is_authenticated:
        return BurnoutAlert.objects.none()
    if user.is_admin_role:
        qs = BurnoutAlert.objects.all()
    else:
        own = BurnoutAlert.objects.filter(scope=BurnoutAlert.Scope.INDIVIDUAL, user=user)
        qs = own | _managed_team_alerts(user)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return _ordered(qs.select_related("team", "acknowledged_by").distinct())


def alert_for_acknowledge(*, user: User, alert_id: int) -> BurnoutAlert | None:
    """The alert with this id if ``user`` may see it, else None (so its existence is not
    revealed)."""
    return alerts_visible_to(user=user).filter(pk=alert_id).first()
