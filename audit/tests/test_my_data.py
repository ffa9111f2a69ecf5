"""An employee sees who opened their records on My data and in the export, and nobody else's."""

import json

import pytest

from audit.models import AccessEvent
from audit.services import record_access

pytestmark = pytest.mark.django_db

Action = AccessEvent.Action


@pytest.fixture
def looks(admin_user, manager, employee, team):
    """An admin opened erin's record and listed check-ins; her manager opened the dashboard."""
    record_access(
        actor=admin_user,
        action=Action.ADMIN_VIEW_PERSON,
        subject=employee,
        detail=f"accounts.user {employee.pk}",
    )
    record_access(actor=admin_user, action=Action.ADMIN_LIST_PERSON_DATA, detail="metrics.checkin")
    record_access(actor=manager, action=Action.DASHBOARD_VIEW, teams=[team], detail="dashboard")


def test_it_shows_the_employee_who_opened_their_records(client, employee, looks):
    client.force_login(employee)

    response = client.get("/me/data/")

    html = response.content.decode()
    assert "Who looked at your data" in html
    assert [e.action for e in response.context["access_events"]] == [Action.ADMIN_VIEW_PERSON]
    assert "Admin ada" in html
    assert f"accounts.user {employee.pk}" in html
    assert "Opened a record about you in the admin" in html
    assert "logged for the whole team, not for any one person" in html
    assert "maya" not in html


def test_a_teammate_does_not_see_looks_at_someone_else(client, teammate, employee, looks):
    client.force_login(teammate)

    response = client.get("/me/data/")

    html = response.content.decode()
    assert list(response.context["access_events"]) == []
    assert f"accounts.user {employee.pk}" not in html
    assert 'id="access-log-empty"' in html
    assert json.loads(client.get("/me/data/export.json").content)["access_log"] == []


def test_the_export_holds_the_employees_access_log(client, employee, looks):
    client.force_login(employee)

    data = json.loads(client.get("/me/data/export.json").content)

    [entry] = data["access_log"]
    assert set(entry) == {"actor_username", "actor_role", "action", "detail", "at"}
    assert (entry["actor_username"], entry["actor_role"], entry["action"]) == (
        "ada",
        "admin",
        "admin_view_person",
    )


def test_an_employees_own_visits_are_not_logged(client, employee):
    client.force_login(employee)

    client.get("/me/data/")
    client.get("/me/data/export.json")

    assert not AccessEvent.objects.exists()
