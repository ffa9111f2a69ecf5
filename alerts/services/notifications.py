"""Emails about alerts: new or escalated ones, to the person or the team's managers."""

import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User
from alerts.models import BurnoutAlert
from teams.models import Team

logger = logging.getLogger(__name__)

_SEVERITY_ESCALATIONS = (
    Q(notified_severity="")
    | Q(severity="high", notified_severity__in=["low", "medium"])
    | Q(severity="medium", notified_severity="low")
)


def send_after_commit(messages: list[EmailMessage], what: str) -> None:
    def send() -> None:
        try:
            get_connection().send_messages(messages)
        except (OSError, smtplib.SMTPException):
            logger.exception("Could not send %d %s email(s).", len(messages), what)

    if messages:
        transaction.on_commit(send)


# Sent after the claim commits, like the emails, with the ids of the team alerts that are new
# or escalated today (``alert_ids``): other channels (Slack, Microsoft Teams) tell the same
# managers without this module knowing them, and cannot undo the claim.
team_alerts_claimed = Signal()


@dataclass(frozen=True)
class AlertText:
    """What every channel says about an alert: the rule's published wording, never a count."""

    title: str
    intro: str
    message: str
    guidance: str


def alert_text(alert: BurnoutAlert) -> AlertText:
    if alert.scope == BurnoutAlert.Scope.TEAM and alert.team is not None:
        title = f"{alert.team.name}: {alert.get_rule_display()}"
        intro = f"A team alert was raised for {alert.team.name}, a team you manage."
    else:
        title = alert.get_rule_display()
        intro = "Resonance noticed a pattern in your recent check-ins. Only you can see this."
    return AlertText(
        title=title,
        intro=intro,
        message=f"{alert.message} (severity: {alert.get_severity_display().lower()})",
        guidance=alert.guidance,
    )


def _alert_email(alert: BurnoutAlert, recipient: User) -> EmailMessage:
    text = alert_text(alert)
    body = "\n\n".join(
        [
            f"Hello {recipient.get_short_name() or recipient.get_username()},",
            text.intro,
            text.message,
            text.guidance,
            (
                "Open Resonance to see details. You can turn these emails off under Email "
                "preferences (/alerts/preferences/)."
            ),
        ]
    )
    return EmailMessage(subject=f"[Resonance] {text.title}", body=body, to=[recipient.email])


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
    team_alert_ids = [a.pk for a in alerts if a.scope == BurnoutAlert.Scope.TEAM]
    if team_alert_ids:
        transaction.on_commit(
            partial(team_alerts_claimed.send, sender=BurnoutAlert, alert_ids=team_alert_ids)
        )
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
        # The model's check gives a team alert its team and an individual alert its user;
        # the None tests only narrow the types.
        if alert.scope == BurnoutAlert.Scope.TEAM and alert.team_id is not None:
            recipients = managers_by_team.get(alert.team_id, [])
        elif alert.user is not None and alert.user.is_active and alert.user.email_alerts:
            recipients = [alert.user]
        else:
            recipients = []
        messages.extend(_alert_email(alert, r) for r in recipients if r.email)
    send_after_commit(messages, "alert")
    return len(messages)
