"""Who may see and acknowledge which alert: selectors, API and the acknowledge page."""

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from alerts import selectors
from alerts.models import BurnoutAlert

from .conftest import ON

pytestmark = pytest.mark.django_db


def make_alert(**fields) -> BurnoutAlert:
    defaults = dict(
        severity="medium", message="Team mean FlowScore is 44.0.", window_start=ON, window_end=ON
    )
    if fields.get("user"):
        defaults.update(scope="individual", rule="low_flow", message="Your FlowScore is 31.0.")
    else:
        defaults.update(scope="team", rule="team_low_flow")
    return BurnoutAlert.objects.create(**(defaults | fields))


@pytest.fixture
def alerts(employee, team, other_team):
    return {
        "mine": make_alert(user=employee),
        "team": make_alert(team=team),
        "other_team": make_alert(team=other_team, rule="team_decline"),
    }


LIST_URL = "/api/v1/alerts/"


def ack_url(alert) -> str:
    return f"/api/v1/alerts/{alert.pk}/acknowledge/"


class TestSelectors:
    def test_managers_never_get_individual_alerts(self, alerts, manager, employee):
        assert list(selectors.team_alerts_for(user=manager)) == [alerts["team"]]
        assert list(selectors.individual_alerts_for(user=manager)) == []
        assert alerts["mine"] not in selectors.alerts_visible_to(user=manager)

    def test_employees_get_only_their_own(self, alerts, employee, teammate):
        assert list(selectors.individual_alerts_for(user=employee)) == [alerts["mine"]]
        assert list(selectors.team_alerts_for(user=employee)) == []
        assert list(selectors.individual_alerts_for(user=teammate)) == []

    def test_admins_see_every_team_alert(self, alerts, admin_user):
        assert set(selectors.team_alerts_for(user=admin_user)) == {
            alerts["team"],
            alerts["other_team"],
        }

    def test_panels_show_only_active_alerts_most_urgent_first(self, team, manager):
        make_alert(team=team, rule="team_decline", status="resolved")
        acked = make_alert(team=team, rule="team_at_risk", status="acknowledged")
        high = make_alert(team=team, rule="team_low_flow", severity="high")
        medium = make_alert(team=team, rule="team_decline")
        assert list(selectors.team_alerts_for(user=manager)) == [high, medium, acked]


class TestListApi:
    def test_anonymous_is_refused(self, api_client, alerts):
        assert api_client.get(LIST_URL).status_code == 401

    @pytest.mark.parametrize(
        ("persona", "expected"),
        [
            ("employee", {"mine"}),
            ("teammate", set()),
            ("outsider", set()),
            ("manager", {"team"}),
            ("other_manager", {"other_team"}),
            ("admin_user", {"mine", "team", "other_team"}),
        ],
    )
    def test_visibility_matrix(self, request, api_client_for, alerts, persona, expected):
        user = request.getfixturevalue(persona)
        response = api_client_for(user).get(LIST_URL)
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()}
        assert ids == {alerts[name].pk for name in expected}

    def test_team_alert_payload(self, api_client_for, alerts, manager):
        (row,) = api_client_for(manager).get(LIST_URL).json()
        assert row["team_name"] == "Atlas"
        assert row["scope"] == "team"
        assert row["guidance"]
        assert row["status"] == "open"

    def test_status_filter(self, api_client_for, alerts, employee, team):
        alerts["mine"].status = "resolved"
        alerts["mine"].save()
        client = api_client_for(employee)
        assert client.get(LIST_URL).json() == []
        assert [r["id"] for r in client.get(LIST_URL, {"status": "resolved"}).json()] == [
            alerts["mine"].pk
        ]
        bad = client.get(LIST_URL, {"status": "everything"})
        assert bad.status_code == 400
        assert "status" in bad.json()["errors"]


class TestAcknowledgeApi:
    def test_anonymous_is_refused(self, api_client, alerts):
        assert api_client.post(ack_url(alerts["team"])).status_code == 401

    @pytest.mark.parametrize("persona", ["employee", "teammate", "outsider", "other_manager"])
    def test_others_cannot_see_the_team_alert(self, request, api_client_for, alerts, persona):
        user = request.getfixturevalue(persona)
        response = api_client_for(user).post(ack_url(alerts["team"]))
        assert response.status_code == 404
        assert response.json()["detail"]
        alerts["team"].refresh_from_db()
        assert alerts["team"].status == "open"

    @pytest.mark.parametrize("persona", ["manager", "admin_user"])
    def test_manager_of_the_team_and_admin_acknowledge(
        self, request, api_client_for, alerts, persona
    ):
        user = request.getfixturevalue(persona)
        response = api_client_for(user).post(ack_url(alerts["team"]))
        assert response.status_code == 200
        assert response.json()["status"] == "acknowledged"
        assert response.json()["acknowledged_by"] == user.username
        alerts["team"].refresh_from_db()
        assert alerts["team"].acknowledged_by == user
        assert alerts["team"].acknowledged_at is not None

    def test_acknowledging_twice_keeps_the_first(self, api_client_for, alerts, manager, admin_user):
        api_client_for(manager).post(ack_url(alerts["team"]))
        again = api_client_for(admin_user).post(ack_url(alerts["team"]))
        assert again.status_code == 200
        assert again.json()["acknowledged_by"] == manager.username

    def test_managers_cannot_touch_individual_alerts(self, api_client_for, alerts, manager):
        assert api_client_for(manager).post(ack_url(alerts["mine"])).status_code == 404

    def test_employees_cannot_acknowledge_their_own_alert(self, api_client_for, alerts, employee):
        response = api_client_for(employee).post(ack_url(alerts["mine"]))
        assert response.status_code == 403
        assert "team alerts" in response.json()["detail"]

    def test_resolved_alerts_cannot_be_acknowledged(self, api_client_for, alerts, manager):
        alerts["team"].status = "resolved"
        alerts["team"].save()
        response = api_client_for(manager).post(ack_url(alerts["team"]))
        assert response.status_code == 409
        assert "resolved" in response.json()["detail"]

    def test_unknown_alert(self, api_client_for, manager):
        assert api_client_for(manager).post("/api/v1/alerts/999999/acknowledge/").status_code == 404


class TestAcknowledgePage:
    def url(self, alert) -> str:
        return reverse("alerts:acknowledge", args=[alert.pk])

    def test_anonymous_goes_to_login(self, client, alerts):
        response = client.post(self.url(alerts["team"]))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_get_is_not_allowed(self, client, alerts, manager):
        client.force_login(manager)
        assert client.get(self.url(alerts["team"])).status_code == 405

    def test_manager_acknowledges_and_returns(self, client, alerts, manager):
        client.force_login(manager)
        response = client.post(self.url(alerts["team"]), {"next": "/dashboard/?days=30"})
        assert response.status_code == 302
        assert response["Location"] == "/dashboard/?days=30"
        alerts["team"].refresh_from_db()
        assert alerts["team"].status == "acknowledged"

    def test_external_next_falls_back_to_the_dashboard(self, client, alerts, manager):
        client.force_login(manager)
        response = client.post(self.url(alerts["team"]), {"next": "https://evil.example/"})
        assert response["Location"] == reverse("teams:dashboard")

    @pytest.mark.parametrize("persona", ["employee", "teammate", "other_manager"])
    def test_others_get_404(self, request, client, alerts, persona):
        client.force_login(request.getfixturevalue(persona))
        assert client.post(self.url(alerts["team"])).status_code == 404
        alerts["team"].refresh_from_db()
        assert alerts["team"].status == "open"

    def test_employee_cannot_acknowledge_own_alert(self, client, alerts, employee):
        client.force_login(employee)
        assert client.post(self.url(alerts["mine"])).status_code == 403

    def test_csrf_is_required(self, alerts, manager):
        client = Client(enforce_csrf_checks=True)
        client.force_login(manager)
        assert client.post(self.url(alerts["team"])).status_code == 403


class TestPanels:
    def test_team_panel_has_an_acknowledge_form(self, alerts, manager):
        request = RequestFactory().get("/dashboard/")
        request.user = manager
        html = render_to_string(
            "alerts/_team_alerts_panel.html",
            {"team_alerts": selectors.team_alerts_for(user=manager)},
            request=request,
        )
        assert reverse("alerts:acknowledge", args=[alerts["team"].pk]) in html
        assert "csrfmiddlewaretoken" in html
        assert "Team mean FlowScore is 44.0." in html
        assert "<script" not in html

    def test_my_panel_shows_guidance(self, alerts, employee):
        html = render_to_string(
            "alerts/_my_alerts_panel.html",
            {"my_alerts": selectors.individual_alerts_for(user=employee)},
        )
        assert "Your FlowScore is 31.0." in html
        assert alerts["mine"].guidance[:40] in html
        assert "<script" not in html

    def test_empty_panels(self):
        assert "No open team alerts" in render_to_string(
            "alerts/_team_alerts_panel.html", {"team_alerts": []}
        )
        assert "No alerts right now" in render_to_string(
            "alerts/_my_alerts_panel.html", {"my_alerts": []}
        )


class TestAdmin:
    def test_admin_lists_and_opens_alerts(self, client, alerts, admin_user):
        client.force_login(admin_user)
        assert client.get("/admin/alerts/burnoutalert/").status_code == 200
        page = client.get(f"/admin/alerts/burnoutalert/{alerts['mine'].pk}/change/")
        assert page.status_code == 200
        assert client.get("/admin/alerts/checkinreminder/").status_code == 200

    @pytest.mark.parametrize("persona", ["employee", "manager"])
    def test_others_are_kept_out(self, request, client, alerts, persona):
        client.force_login(request.getfixturevalue(persona))
        response = client.get("/admin/alerts/burnoutalert/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


class TestPagesIncludePanels:
    def test_trends_page_shows_my_alerts_only_to_me(self, client, alerts, employee, teammate):
        client.force_login(employee)
        page = client.get(reverse("metrics:trends"))
        assert page.status_code == 200
        assert "Your FlowScore is 31.0." in page.content.decode()
        client.force_login(teammate)
        assert (
            "Your FlowScore is 31.0." not in client.get(reverse("metrics:trends")).content.decode()
        )

    def test_dashboard_shows_team_alerts_and_never_individual_ones(self, client, alerts, manager):
        client.force_login(manager)
        page = client.get(reverse("teams:dashboard"))
        assert page.status_code == 200
        html = page.content.decode()
        assert reverse("alerts:acknowledge", args=[alerts["team"].pk]) in html
        assert "Your FlowScore is 31.0." not in html
        assert reverse("alerts:acknowledge", args=[alerts["other_team"].pk]) not in html


class TestPreferences:
    url = "/alerts/preferences/"

    def test_anonymous_goes_to_login(self, client):
        response = client.get(self.url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("persona", ["employee", "manager", "admin_user"])
    def test_each_user_sets_their_own(self, request, client, persona, teammate):
        user = request.getfixturevalue(persona)
        client.force_login(user)
        page = client.get(self.url)
        assert page.status_code == 200
        assert 'name="email_alerts"' in page.content.decode()
        response = client.post(self.url, {"email_reminders": "on"})
        assert response.status_code == 302
        user.refresh_from_db()
        teammate.refresh_from_db()
        assert (user.email_alerts, user.email_reminders) == (False, True)
        assert (teammate.email_alerts, teammate.email_reminders) == (True, True)

    def test_panels_link_to_preferences(self):
        html = render_to_string("alerts/_my_alerts_panel.html", {"my_alerts": []})
        assert self.url in html


def test_the_alerts_panel_links_the_chat_preferences(client, employee):
    client.force_login(employee)

    page = client.get(reverse("metrics:trends")).content.decode()

    assert reverse("chat:preferences") in page
