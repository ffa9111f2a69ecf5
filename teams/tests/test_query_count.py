"""The number of SQL queries does not grow with teams, employees or days."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import TeamFactory

from .helpers import add_day, add_members, publish

pytestmark = pytest.mark.django_db

MAX_PAGE_QUERIES = 15
# JWT user, team access check, teams with their roster bands, published cells, the access log.
API_QUERIES = 5


def grow(manager, *, teams: int, members: int, days: int) -> list:
    """Teams with ``days`` days of check-ins up to yesterday, all published."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    created = []
    for index in range(teams):
        team = TeamFactory(name=f"Q{len(created)}-{index}-{teams}")
        team.managers.add(manager)
        people = add_members(team, members)
        for back in range(days):
            add_day(people, yesterday - dt.timedelta(days=back), flow=50.0 + back)
        created.append(team)
    publish(through=yesterday)
    return created


def count_queries(client, name: str) -> int:
    client.get(reverse(name), {"days": 30})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name), {"days": 30})
    assert response.status_code == 200
    return len(queries)


def test_page_queries_stay_constant_as_data_grows(client, manager, django_assert_num_queries):
    grow(manager, teams=1, members=5, days=2)
    client.force_login(manager)
    small = count_queries(client, "teams:dashboard")
    small_csv = count_queries(client, "teams:dashboard-csv")
    assert small <= MAX_PAGE_QUERIES

    grow(manager, teams=4, members=9, days=12)
    client.get(reverse("teams:dashboard"), {"days": 30})
    with django_assert_num_queries(small):
        response = client.get(reverse("teams:dashboard"), {"days": 30})
    assert len(response.context["teams"]) == 6  # Atlas (fixture) and five more

    with django_assert_num_queries(small_csv):
        client.get(reverse("teams:dashboard-csv"), {"days": 30})


def test_api_queries_stay_constant_as_data_grows(
    api_client_for, manager, django_assert_num_queries
):
    (team,) = grow(manager, teams=1, members=5, days=2)
    client = api_client_for(manager)
    url = f"/api/v1/teams/{team.id}/heatmap/"
    client.get(url)
    with django_assert_num_queries(API_QUERIES):
        assert client.get(url).status_code == 200

    add_members(team, 20)
    grow(manager, teams=3, members=9, days=20)
    for member in team.members.all()[5:]:
        add_day([member], timezone.localdate(), flow=60.0)
    publish(through=timezone.localdate())
    client.get(url, {"metric": "burnout"})
    with django_assert_num_queries(API_QUERIES):
        assert client.get(url, {"metric": "burnout"}).status_code == 200


def test_the_admin_page_over_90_days_stays_within_the_page_budget(
    client, admin_user, manager, django_assert_max_num_queries
):
    grow(manager, teams=6, members=7, days=40)
    client.force_login(admin_user)
    with django_assert_max_num_queries(MAX_PAGE_QUERIES):
        assert client.get(reverse("teams:dashboard"), {"days": 90}).status_code == 200
