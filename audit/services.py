"""Writing the access log.

Every page, export or API endpoint that shows team aggregates to a manager or an admin records
the look, once per team shown::

    record_access(
        actor=request.user,
        action=AccessEvent.Action.DASHBOARD_VIEW,  # or DASHBOARD_EXPORT, HEATMAP_API
        teams=[...],                               # the teams whose figures were shown
        detail="flow_score, last 30 days",         # what was shown: path, metric, period
    )

Admin pages that show a person's data record themselves through
``audit.admin.AuditedPersonDataAdminMixin``. An employee looking at their own data is not
recorded.
"""

from collections.abc import Iterable
from typing import Any, Protocol

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model

from .models import DETAIL_MAX_LENGTH, AccessEvent

# The role recorded for superusers and admins alike (the value of the admin role).
ADMIN_ROLE = "admin"


class Actor(Protocol):
    """A signed-in person who looks at data (the project's user model)."""

    pk: Any
    role: str

    @property
    def is_admin_role(self) -> bool: ...

    def get_username(self) -> str: ...


def record_access(
    *,
    actor: Actor,
    action: AccessEvent.Action | str,
    team: Model | None = None,
    teams: Iterable[Model] = (),
    team_ids: Iterable[int] = (),
    subject: AbstractBaseUser | None = None,
    detail: str = "",
) -> None:
    """Record that ``actor`` did ``action``: one row per team of ``team``, ``teams`` and
    ``team_ids`` (a single row without a team when none is given).

    ``subject`` is the person whose own data was shown, if any. ``detail`` is cut to the
    column's length and must never hold a health value. A plain insert: a database error
    reaches the caller, so no look goes unrecorded without anyone knowing.
    """
    shown = [t.pk for t in (team, *teams) if t is not None] + list(team_ids)
    rows: list[int | None] = list(dict.fromkeys(shown)) or [None]
    role = ADMIN_ROLE if actor.is_admin_role else actor.role
    AccessEvent.objects.bulk_create(
        AccessEvent(
            actor_id=actor.pk,
            actor_username=actor.get_username(),
            actor_role=role,
            action=action,
            team_id=team_id,
            subject_id=subject.pk if subject is not None else None,
            detail=detail[:DETAIL_MAX_LENGTH],
        )
        for team_id in rows
    )
