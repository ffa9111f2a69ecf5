"""Admins' looks at a person's data are logged; the log itself is read-only in the admin."""

import datetime as dt

import pytest

from alerts.models import BurnoutAlert
from audit.models import AccessEvent
from audit.services import record_access
from excuses.models import ExcuseEmail
from metrics.models import CheckIn, DailyMetric

pytestmark = pytest.mark.django_db

Action = AccessEvent.Action


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def individual_alert(user) -> BurnoutAlert:
    return BurnoutAlert.objects.create(
        scope="individual",
        user=user,
        rule="low_flow",
        severity="medium",
        message="Your FlowScore is 31.0.",
        window_start=dt.date(2026, 11, 20),
        window_end=dt.date(2026, 11, 20),
    )


def test_it_logs_an_admin_opening_a_person_in_the_user_admin(admin_client, admin_user, employee):
    assert admin_client.get(f"/admin/accounts/user/{employee.pk}/change/").status_code == 200

    event = AccessEvent.objects.get()
    assert event.action == Action.ADMIN_VIEW_PERSON
    assert event.subject == employee
    assert event.actor == admin_user
    assert (event.actor_username, event.actor_role) == ("ada", "admin")
    assert event.detail == f"accounts.user {employee.pk}"


@pytest.mark.parametrize("model", [CheckIn, DailyMetric])
def test_it_logs_an_admin_opening_a_measured_row_with_its_person_as_subject(
    admin_client, employee, model
):
    if model is CheckIn:
        row = CheckIn.objects.create(user=employee, status=CheckIn.Status.DONE, fatigue=0.2)
    else:
        row = DailyMetric.objects.create(user=employee, date=dt.date(2026, 12, 1), fatigue=0.2)
    label = model._meta.label_lower

    response = admin_client.get(f"/admin/{label.replace('.', '/')}/{row.pk}/change/")

    assert response.status_code == 200
    event = AccessEvent.objects.get()
    assert (event.action, event.subject, event.detail) == (
        Action.ADMIN_VIEW_PERSON,
        employee,
        f"{label} {row.pk}",
    )
    assert "0.2" not in event.detail


def test_it_logs_a_listing_without_naming_anyone(admin_client, employee):
    CheckIn.objects.create(user=employee, status=CheckIn.Status.DONE)

    assert admin_client.get("/admin/metrics/checkin/", {"q": "erin"}).status_code == 200

    event = AccessEvent.objects.get()
    assert event.action == Action.ADMIN_LIST_PERSON_DATA
    assert event.subject is None
    assert event.detail == "metrics.checkin?q=erin"


def test_it_logs_a_saved_change_with_the_person_as_subject(admin_client, employee):
    alert = individual_alert(employee)
    form = {
        "scope": "individual",
        "user": employee.pk,
        "team": "",
        "rule": "low_flow",
        "severity": "medium",
        "message": alert.message,
        "snapshot": "{}",
        "window_start": "2026-11-20",
        "window_end": "2026-11-20",
        "status": "resolved",
        "acknowledged_by": "",
        "acknowledged_at_0": "",
        "acknowledged_at_1": "",
        "resolved_at_0": "",
        "resolved_at_1": "",
    }

    response = admin_client.post(f"/admin/alerts/burnoutalert/{alert.pk}/change/", form)

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved"
    event = AccessEvent.objects.get()
    assert (event.action, event.subject) == (Action.ADMIN_CHANGE_PERSON, employee)


def test_it_logs_a_password_change_as_a_change_of_the_person(admin_client, employee):
    new = "another-long-passphrase-42"
    response = admin_client.post(
        f"/admin/accounts/user/{employee.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )

    assert response.status_code == 302
    event = AccessEvent.objects.get()
    assert (event.action, event.subject) == (Action.ADMIN_CHANGE_PERSON, employee)


def test_a_form_with_errors_is_neither_a_change_nor_a_fresh_look(admin_client, employee):
    alert = individual_alert(employee)

    response = admin_client.post(f"/admin/alerts/burnoutalert/{alert.pk}/change/", {})

    assert response.status_code == 200
    assert not AccessEvent.objects.exists()


def test_a_team_alert_is_no_persons_data(admin_client, team):
    alert = BurnoutAlert.objects.create(
        scope="team",
        team=team,
        rule="team_low_flow",
        severity="medium",
        message="Team mean FlowScore is 44.0.",
        window_start=dt.date(2026, 11, 20),
        window_end=dt.date(2026, 11, 20),
    )

    assert admin_client.get(f"/admin/alerts/burnoutalert/{alert.pk}/change/").status_code == 200
    assert not AccessEvent.objects.exists()


def test_the_log_is_read_only_in_the_admin(admin_client, admin_user, employee):
    record_access(actor=admin_user, action=Action.ADMIN_VIEW_PERSON, subject=employee)
    event = AccessEvent.objects.get()

    listing = admin_client.get("/admin/audit/accessevent/", {"q": "erin"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [event]
    page = admin_client.get(f"/admin/audit/accessevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/audit/accessevent/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/accessevent/{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/audit/accessevent/{event.pk}/change/", {}).status_code == 403
    assert admin_client.post(
        "/admin/audit/accessevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    ).status_code in (200, 302)
    assert AccessEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("persona", ["employee", "manager"])
def test_only_admins_open_the_log(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/admin/audit/accessevent/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_excuse_row_is_logged_without_naming_its_author(admin_client, employee):
    excuse = ExcuseEmail.objects.create(
        user=employee,
        meeting_title="Weekly sync",
        organizer_name="Maya",
        reason="focus",
        tone="formal",
        seed=1,
        subject="Weekly sync",
        body="Hello",
        backend="template",
    )

    assert admin_client.get("/admin/excuses/excuseemail/").status_code == 200
    assert admin_client.get(f"/admin/excuses/excuseemail/{excuse.pk}/change/").status_code == 200

    [event] = AccessEvent.objects.all()
    assert (event.action, event.subject) == (Action.ADMIN_LIST_PERSON_DATA, None)
