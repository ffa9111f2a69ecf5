"""Writing and reading the access log."""

import pytest

from audit import selectors
from audit.models import DETAIL_MAX_LENGTH, AccessEvent
from audit.services import record_access
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Action = AccessEvent.Action


def test_it_writes_one_row_per_team(manager, team, other_team):
    record_access(
        actor=manager,
        action=Action.DASHBOARD_VIEW,
        team=team,
        teams=[team, other_team],
        detail="flow_score, last 30 days",
    )

    rows = AccessEvent.objects.order_by("team__name")
    assert [r.team for r in rows] == [team, other_team]
    assert {(r.actor_username, r.actor_role, r.subject) for r in rows} == {
        ("maya", "manager", None)
    }


def test_without_a_team_it_writes_one_row(admin_user):
    record_access(actor=admin_user, action=Action.HEATMAP_API, detail="x" * 500)

    event = AccessEvent.objects.get()
    assert event.team is None
    assert len(event.detail) == DETAIL_MAX_LENGTH


def test_a_superuser_is_recorded_as_an_admin(team):
    root = UserFactory(username="root", team=team, is_staff=True, is_superuser=True)

    record_access(actor=root, action=Action.ADMIN_LIST_PERSON_DATA)

    assert AccessEvent.objects.get().actor_role == "admin"


def test_deleting_the_actor_keeps_the_row_readable(admin_user, employee):
    record_access(actor=admin_user, action=Action.ADMIN_VIEW_PERSON, subject=employee)

    admin_user.delete()

    event = AccessEvent.objects.get()
    assert event.actor is None
    assert (event.actor_username, event.actor_role, event.subject) == ("ada", "admin", employee)


def test_events_about_a_person_are_theirs_only_newest_first(admin_user, employee, teammate):
    record_access(actor=admin_user, action=Action.ADMIN_VIEW_PERSON, subject=employee)
    record_access(actor=admin_user, action=Action.ADMIN_LIST_PERSON_DATA)
    record_access(actor=admin_user, action=Action.ADMIN_VIEW_PERSON, subject=teammate)
    record_access(actor=admin_user, action=Action.ADMIN_CHANGE_PERSON, subject=employee)

    events = selectors.events_about(employee)

    assert [e.action for e in events] == [Action.ADMIN_CHANGE_PERSON, Action.ADMIN_VIEW_PERSON]
    assert len(selectors.events_about(employee, limit=1)) == 1
    assert [e["action"] for e in selectors.access_log_export(employee)] == [
        Action.ADMIN_VIEW_PERSON,
        Action.ADMIN_CHANGE_PERSON,
    ]
