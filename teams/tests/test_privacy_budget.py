"""What the published figures spent on a person, shown to that person (API and My data)."""

import datetime as dt

import pytest
from django.urls import reverse

from teams.models import PrivacySpend
from teams.publication import Plan

from .helpers import DAY, add_day, add_members, publish

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/privacy/"


def test_a_person_sees_what_each_month_and_year_cost_them(api_client_for, team):
    members = add_members(team, 5)
    add_day(members, DAY, flow=60.0)
    add_day(members, DAY - dt.timedelta(days=7), flow=60.0)
    publish(through=DAY)
    plan = Plan.from_settings()

    march = api_client_for(members[0]).get(URL, {"month": "2026-03"}).json()
    february = api_client_for(members[0]).get(URL, {"month": "2026-02"}).json()

    assert march["month"] == "2026-03"
    assert march["epsilon_month"] == pytest.approx(2 * plan.week_cost)
    assert march["releases_month"] == 2
    assert (march["cap_month"], march["cap_year"]) == (10.0, 120.0)
    # January's and February's roster bands were charged to those months; the year adds all.
    assert february["epsilon_month"] == pytest.approx(plan.month_roster)
    assert march["epsilon_year"] == pytest.approx(2 * plan.week_cost + 2 * plan.month_roster)
    assert "2 team figures used your check-ins" in march["summary"]
    assert "of your monthly privacy budget of 10" in march["summary"]


def test_someone_nothing_was_published_about_has_spent_nothing(api_client_for, employee):
    body = api_client_for(employee).get(URL).json()
    assert body["epsilon_month"] == 0 and body["epsilon_year"] == 0
    assert "Nothing published" in body["summary"]
    assert not PrivacySpend.objects.exists()


@pytest.mark.parametrize("month", ["2026-13", "March", "2026-3-1", "0001-01"])
def test_a_bad_month_is_a_readable_400(api_client_for, employee, month):
    response = api_client_for(employee).get(URL, {"month": month})
    assert response.status_code == 400
    assert "month" in response.json()["detail"]


def test_my_data_shows_the_budget_in_plain_words(client, team):
    members = add_members(team, 5)
    add_day(members, DAY, flow=60.0)
    publish(through=DAY)
    client.force_login(members[0])

    # The page shows the current month; put this one's spending in it.
    today = dt.date.today().replace(day=1)
    PrivacySpend.objects.filter(user=members[0]).exclude(month=DAY.replace(day=1)).delete()
    PrivacySpend.objects.filter(user=members[0]).update(month=today)
    page = client.get(reverse("metrics:my-data")).content.decode()

    assert "Your privacy budget" in page
    assert "1.50 of 10" in page
    assert "1 team figure used your check-ins" in page
