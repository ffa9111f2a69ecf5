"""Who may use the dashboard page, its CSV export and the heatmap API."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ManagerFactory

from .helpers import add_day, add_members, last_week_end, publish, week_of

pytestmark = pytest.mark.django_db

PAGES = ["teams:dashboard", "teams:dashboard-csv"]


@pytest.fixture
def data(team, other_team, noiseless):
    """A published week: the last full one (every range below shows a value for it)."""
    day = last_week_end(timezone.localdate())
    add_day(add_members(team, 6), day, flow=72.0)
    add_day(add_members(other_team, 6), day, flow=41.0)
    publish(through=day)
    return day


def heatmap_url(team) -> str:
    return f"/api/v1/teams/{team.id}/heatmap/"


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_users_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", ["employee", "teammate", "outsider"])
def test_it_refuses_employees(client, request, name, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(name)).status_code == 403


def test_it_shows_a_manager_their_team_only(client, manager, team, other_team, data):
    client.force_login(manager)
    response = client.get(reverse("teams:dashboard"))

    assert response.status_code == 200
    assert [t.name for t in response.context["teams"]] == [team.name]
    body = response.content.decode()
    assert "Borealis" not in body
    assert 'id="heatmap-figure"' in body
    assert "vendor/plotly.min.js" in body
    assert "<script>" not in body  # CSP: data only through json_script


def test_it_shows_an_admin_every_team(client, admin_user, team, other_team, data):
    client.force_login(admin_user)
    response = client.get(reverse("teams:dashboard"), {"metric": "burnout", "days": 90})

    assert response.status_code == 200
    assert {t.name for t in response.context["teams"]} == {"Atlas", "Borealis"}


def test_it_answers_400_to_bad_parameters(client, manager):
    client.force_login(manager)
    assert client.get(reverse("teams:dashboard"), {"metric": "salary"}).status_code == 400
    response = client.get(reverse("teams:dashboard-csv"), {"days": "7"})
    assert response.status_code == 400
    assert "30, 90, 365" in response.content.decode()


def test_csv_export_holds_exactly_the_cells_on_screen(client, manager, team, data):
    small = add_members(team, 1, prefix="late")
    earlier = data - dt.timedelta(days=7)
    add_day(small, earlier, flow=10.0)
    publish(through=data)
    client.force_login(manager)

    page = client.get(reverse("teams:dashboard"), {"metric": "flow_score", "days": 30})
    export = client.get(reverse("teams:dashboard-csv"), {"metric": "flow_score", "days": 30})

    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(rows) == len(page.context["heatmap"]["data"][0]["z"][0]) >= 5  # weeks
    assert {r["team"] for r in rows} == {"Atlas"}
    assert {r["period"] for r in rows} == {"week"}
    heatmap_z = page.context["heatmap"]["data"][0]["z"][0]
    exported = [float(r["value"]) if r["value"] else None for r in rows]
    assert exported == heatmap_z
    hidden = next(r for r in rows if r["date"] == str(week_of(earlier)))
    assert hidden["value"] == ""
    assert hidden["note"] == "fewer than 5 people checked in"
    assert "10.0" not in export.content.decode()
    shown = next(r for r in rows if r["date"] == str(week_of(data)))
    assert shown["contributors"] == "5-9 people"
    assert shown["participation"] == "75% or more"
    today = next(r for r in rows if r["date"] == str(week_of(timezone.localdate())))
    assert today["value"] == ""
    assert today["participation"] == ""
    assert "not published yet" in today["note"]


def test_api_refuses_anonymous(api_client, team):
    response = api_client.get(heatmap_url(team))
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("persona", ["employee", "teammate", "outsider", "other_manager"])
def test_api_refuses_everyone_but_the_teams_managers(api_client_for, request, team, persona):
    response = api_client_for(request.getfixturevalue(persona)).get(heatmap_url(team))
    assert response.status_code == 403
    assert response.json()["detail"]


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_api_gives_the_team_cells_with_suppression(api_client_for, request, team, data, persona):
    response = api_client_for(request.getfixturevalue(persona)).get(
        heatmap_url(team), {"from": str(data - dt.timedelta(days=7)), "to": str(data)}
    )

    assert response.status_code == 200
    body = response.json()
    # The roster only as its monthly band, and only once a month has been published.
    assert body["team"]["members"] in ("5-9 people", "not published yet")
    assert body["min_group_size"] == 5
    assert body["period"] == "week"
    hidden, shown = body["cells"]
    assert hidden == {
        "date": str(week_of(data - dt.timedelta(days=7))),
        "period": "week",
        "status": "suppressed",
        "value": None,
        "suppressed": True,
        "rolling_mean": None,
        "participation": "",
        "contributors": "fewer than 5",
        "note": "fewer than 5 people checked in",
    }
    assert shown["status"] == "published"
    assert shown["value"] == pytest.approx(72.0, abs=1e-3)
    assert shown["participation"] == "75% or more"


def test_api_never_shows_today_or_an_open_day(api_client_for, manager, team, noiseless):
    today = timezone.localdate()
    add_day(add_members(team, 6), today, flow=72.0)
    publish(through=today - dt.timedelta(days=1))

    (cell,) = api_client_for(manager).get(heatmap_url(team), {"from": str(today)}).json()["cells"]

    assert cell["date"] == str(week_of(today))
    assert cell["status"] == "unpublished"
    assert cell["value"] is None
    assert cell["participation"] == ""
    assert cell["contributors"] == "not published"


def test_api_gives_admins_404_for_a_missing_team(api_client_for, admin_user):
    assert api_client_for(admin_user).get("/api/v1/teams/999999/heatmap/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"metric": "salary"},
        {"from": "yesterday"},
        {"from": "2026-03-02", "to": "2026-03-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"from": "0001-01-01", "to": "0001-01-05"},
        {"to": "9999-12-31"},
    ],
)
def test_api_answers_400_with_a_readable_detail(api_client_for, manager, team, query):
    response = api_client_for(manager).get(heatmap_url(team), query)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_manager_without_teams_gets_an_explanation_and_no_charts(client, db):
    client.force_login(ManagerFactory(username="newlead"))
    response = client.get(reverse("teams:dashboard"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "You do not manage any team yet" in body
    assert "plotly.min.js" not in body


def test_every_look_at_team_figures_is_logged_per_team(
    client, api_client_for, admin_user, manager, team, other_team, data
):
    from audit.models import AccessEvent

    client.force_login(manager)
    client.get(reverse("teams:dashboard"), {"metric": "flow_score", "days": 30})
    client.get(reverse("teams:dashboard-csv"), {"metric": "flow_score", "days": 30})
    api_client_for(manager).get(heatmap_url(team))
    client.force_login(admin_user)
    client.get(reverse("teams:dashboard"))

    logged = list(
        AccessEvent.objects.order_by("at", "pk").values_list(
            "actor_username", "action", "team__name", "subject"
        )
    )
    assert logged[:3] == [
        (manager.username, "dashboard_view", "Atlas", None),
        (manager.username, "dashboard_export", "Atlas", None),
        (manager.username, "heatmap_api", "Atlas", None),
    ]
    # An admin sees every team: one entry per team shown.
    assert sorted(logged[3:]) == [
        (admin_user.username, "dashboard_view", "Atlas", None),
        (admin_user.username, "dashboard_view", "Borealis", None),
    ]


def test_an_admin_sees_the_teams_a_page_at_a_time_and_can_search(client, admin_user, settings):
    from tests.factories import TeamFactory

    settings.DASHBOARD_TEAMS_PER_PAGE = 4
    for number in range(10):
        TeamFactory(name=f"Squad {number:02d}")
    TeamFactory(name="Payments")
    client.force_login(admin_user)

    first = client.get(reverse("teams:dashboard")).content.decode()
    last = client.get(reverse("teams:dashboard"), {"page": 3}).content.decode()
    beyond = client.get(reverse("teams:dashboard"), {"page": 99}).content.decode()
    found = client.get(reverse("teams:dashboard"), {"q": "pay"}).content.decode()
    none = client.get(reverse("teams:dashboard"), {"q": "nobody"}).content.decode()
    export = client.get(reverse("teams:dashboard-csv")).content.decode()

    assert "Teams 1\u20134 of 11." in first and "Squad 02" in first and "Squad 03" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert "Teams 9\u201311 of 11." in last and "Squad 09" in last and 'rel="next"' not in last
    assert "Teams 9\u201311 of 11." in beyond  # past the last page: the last page
    assert "Teams 1\u20131 of 1 matching \u201cpay\u201d." in found and "Squad" not in found
    assert "No team you may see has \u201cnobody\u201d in its name." in none
    # The export is every team the search keeps, not one page.
    assert {row.split(",")[0] for row in export.splitlines()[1:]} >= {"Payments", "Squad 09"}
    for bad in ({"page": "0"}, {"page": "two"}, {"q": "x" * 101}):
        assert client.get(reverse("teams:dashboard"), bad).status_code == 400
