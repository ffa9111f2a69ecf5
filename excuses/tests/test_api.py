"""POST/GET/DELETE /api/v1/excuses/ and the reason suggestion: who may, what is validated."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from excuses.models import ExcuseEmail
from metrics.models import DailyMetric
from tests.factories import UserFactory

URL = "/api/v1/excuses/"
SUGGESTION_URL = "/api/v1/excuses/suggestion/"


def valid_payload(**overrides) -> dict:
    payload = {
        "meeting_title": "Q4 roadmap review",
        "organizer_name": "Priya",
        "reason": "focus",
        "tone": "formal",
        "meeting_time": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "propose_alternative": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        "offer_async_update": True,
    }
    payload.update(overrides)
    return payload


def make_email(user, **overrides) -> ExcuseEmail:
    values = {
        "user": user,
        "meeting_title": "Standup",
        "organizer_name": "Sam",
        "reason": "conflict",
        "tone": "brief",
        "seed": 1,
        "subject": "Declining: Standup",
        "body": f"Hi Sam, a private note from {user.username}.",
        "backend": ExcuseEmail.Backend.TEMPLATE,
    }
    values.update(overrides)
    return ExcuseEmail.objects.create(**values)


@pytest.fixture(autouse=True)
def _no_model_server(settings):
    settings.EXCUSE_LLM_URL = ""


def test_it_writes_and_saves_an_email(api_client_for, employee):
    employee.first_name, employee.last_name = "Erin", "Walsh"
    employee.save()

    response = api_client_for(employee).post(URL, valid_payload(), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["backend"] == "template"
    assert "Q4 roadmap review" in data["subject"] and "Q4 roadmap review" in data["body"]
    assert data["body"].startswith("Dear Priya,") and data["body"].endswith("Erin Walsh")
    assert data["mailto"].startswith("mailto:?subject=")
    saved = ExcuseEmail.objects.get(pk=data["id"])
    assert saved.user == employee and saved.body == data["body"] and saved.seed == data["seed"]


def test_it_reproduces_an_email_from_its_seed(api_client_for, employee):
    client = api_client_for(employee)
    first = client.post(URL, valid_payload(seed=42), format="json").json()
    again = client.post(URL, valid_payload(seed=42), format="json").json()

    assert (first["subject"], first["body"]) == (again["subject"], again["body"])


def test_it_reads_naive_times_on_the_employees_clock(api_client_for, employee):
    employee.time_zone = "Asia/Tokyo"
    employee.save()
    when = (
        (timezone.now() + dt.timedelta(days=10))
        .astimezone(dt.UTC)
        .replace(hour=14, minute=30, second=0, microsecond=0, tzinfo=None)
    )

    response = api_client_for(employee).post(
        URL,
        valid_payload(meeting_time=when.isoformat(), propose_alternative=None),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert "at 14:30" in response.json()["body"]
    saved = ExcuseEmail.objects.get()
    assert saved.meeting_time.astimezone(dt.UTC).hour == 5  # 14:30 in Tokyo


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"meeting_title": ""}, "meeting_title"),
        ({"meeting_title": "x" * 121}, "meeting_title"),
        ({"organizer_name": ""}, "organizer_name"),
        ({"reason": "aliens"}, "reason"),
        ({"tone": "sarcastic"}, "tone"),
        ({"language": "tlh"}, "language"),
        ({"meeting_time": "next tuesday"}, "meeting_time"),
        ({"meeting_time": "2020-01-01T10:00:00Z"}, "meeting_time"),
        ({"propose_alternative": "2020-01-01T10:00:00Z"}, "propose_alternative"),
        ({"meeting_title": "“”"}, "meeting_title"),
        ({"meeting_title": "Sync\x00"}, "meeting_title"),
        ({"meeting_time": "9999-12-31T23:59:00+00:00"}, "meeting_time"),
        ({"propose_alternative": "9999-12-31T23:59:00-12:00"}, "propose_alternative"),
        ({"seed": -1}, "seed"),
    ],
)
def test_it_rejects_bad_input_with_field_errors_and_writes_nothing(
    api_client_for, employee, overrides, field
):
    response = api_client_for(employee).post(URL, valid_payload(**overrides), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    assert body["detail"]
    assert not ExcuseEmail.objects.exists()


def test_it_requires_the_reason_and_tone(api_client_for, employee):
    response = api_client_for(employee).post(
        URL, {"meeting_title": "Sync", "organizer_name": "Sam"}, format="json"
    )

    assert response.status_code == 400
    assert {"reason", "tone"} <= set(response.json()["errors"])


def test_it_lists_only_the_authors_own_history(api_client_for, employee, teammate):
    mine = make_email(employee)
    make_email(teammate)

    response = api_client_for(employee).get(URL)

    assert response.status_code == 200
    assert [e["id"] for e in response.json()] == [mine.pk]
    assert teammate.username not in response.content.decode()


def test_it_erases_only_the_authors_own_history(api_client_for, employee, teammate):
    make_email(employee)
    theirs = make_email(teammate)

    response = api_client_for(employee).delete(URL)

    assert response.status_code == 204
    assert list(ExcuseEmail.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_it_refuses_anonymous_requests(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, valid_payload(), format="json").status_code == 401
    assert api_client.get(SUGGESTION_URL).status_code == 401


@pytest.mark.parametrize("persona", ["manager", "other_manager", "admin_user"])
def test_it_refuses_managers_and_admins(request, api_client_for, employee, persona):
    make_email(employee)
    user = request.getfixturevalue(persona)
    client = api_client_for(user)

    listing = client.get(URL)
    assert listing.status_code == 403
    assert "employees" in listing.json()["detail"]
    assert client.post(URL, valid_payload(), format="json").status_code == 403
    assert client.delete(URL).status_code == 403
    assert client.get(SUGGESTION_URL).status_code == 403
    assert ExcuseEmail.objects.count() == 1


def test_it_limits_how_many_emails_a_user_writes(api_client_for, employee, teammate, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "excuse": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = api_client_for(employee)

    statuses = [client.post(URL, valid_payload(), format="json").status_code for _ in range(3)]
    limited = client.post(URL, valid_payload(), format="json")

    assert statuses == [201, 201, 429]
    assert limited.status_code == 429 and "try again" in limited.json()["detail"]
    assert ExcuseEmail.objects.filter(user=employee).count() == 2
    # Reading history is not limited, and the allowance is per user.
    assert client.get(URL).status_code == 200
    other = api_client_for(teammate).post(URL, valid_payload(), format="json")
    assert other.status_code == 201


def test_it_suggests_the_wellbeing_reason_on_a_low_flow_day(api_client_for, employee):
    employee.time_zone = "Pacific/Auckland"
    employee.save()
    today = timezone.now().astimezone(ZoneInfo("Pacific/Auckland")).date()
    DailyMetric.objects.create(user=employee, team=employee.team, date=today, flow_score=31.5)

    response = api_client_for(employee).get(SUGGESTION_URL)

    assert response.json() == {"reason": "wellbeing", "flow_score": 31.5, "meeting_hours": None}


@pytest.mark.parametrize(("days_ago", "score"), [(0, 72.0), (1, 20.0)])
def test_it_suggests_nothing_on_a_good_day_or_from_old_data(
    api_client_for, employee, days_ago, score
):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    DailyMetric.objects.create(user=employee, team=employee.team, date=day, flow_score=score)

    response = api_client_for(employee).get(SUGGESTION_URL)

    assert response.json()["reason"] is None


def test_it_never_suggests_from_someone_elses_flow_score(api_client_for, employee, teammate):
    DailyMetric.objects.create(
        user=teammate, team=teammate.team, date=timezone.localdate(), flow_score=10.0
    )

    response = api_client_for(employee).get(SUGGESTION_URL)

    assert response.json() == {"reason": None, "flow_score": None, "meeting_hours": None}


def test_it_keeps_history_per_user_even_for_many_users(db, api_client_for):
    users = UserFactory.create_batch(3)
    for user in users:
        make_email(user)

    for user in users:
        rows = api_client_for(user).get(URL).json()
        assert [row["body"] for row in rows] == [f"Hi Sam, a private note from {user.username}."]
