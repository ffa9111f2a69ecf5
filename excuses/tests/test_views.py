"""The /excuses/ page and the admin: who may see what."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from excuses.models import ExcuseEmail
from excuses.selectors import excuse_counts
from metrics.models import DailyMetric

PAGE = "/excuses/"
CLEAR = "/excuses/history/clear/"


@pytest.fixture(autouse=True)
def _no_model_server(settings):
    settings.EXCUSE_LLM_URL = ""


def form_data(**overrides) -> dict:
    data = {
        "meeting_title": "Design critique",
        "organizer_name": "Noor",
        "reason": "overbooked",
        "tone": "friendly",
        "meeting_time": (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "propose_alternative": "",
        "offer_async_update": "on",
    }
    data.update(overrides)
    return data


def make_email(user, body="A private body") -> ExcuseEmail:
    return ExcuseEmail.objects.create(
        user=user,
        meeting_title="Private title",
        organizer_name="Private organizer",
        reason="personal",
        tone="formal",
        seed=3,
        subject="Private subject",
        body=body,
        backend=ExcuseEmail.Backend.TEMPLATE,
    )


def test_it_shows_the_form_to_an_employee(client, employee):
    client.force_login(employee)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="excuse-form"' in html
    assert "<script>" not in html and "onclick" not in html
    assert "js/excuses.js" in html
    assert 'href="/excuses/"' in html  # the nav link


def test_it_writes_an_email_and_redirects_to_it(client, employee):
    client.force_login(employee)

    response = client.post(PAGE, form_data())

    email = ExcuseEmail.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?show={email.pk}#result"
    page = client.get(f"{PAGE}?show={email.pk}")
    html = page.content.decode()
    assert "Design critique" in email.body and "Noor" in email.body
    assert 'id="excuse-body"' in html and "Noor" in html
    assert "mailto:?subject=" in html
    assert "Generate another" in html
    # The form keeps the inputs so "generate another" writes a new variant of the same email.
    assert 'value="Design critique"' in html


def test_it_shows_form_errors_and_writes_nothing(client, employee):
    client.force_login(employee)

    response = client.post(PAGE, form_data(meeting_title="", meeting_time="2020-01-01T09:00"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "in the past" in html
    assert not ExcuseEmail.objects.exists()


def test_it_never_shows_someone_elses_email(client, employee, teammate):
    theirs = make_email(teammate)
    client.force_login(employee)

    assert client.get(f"{PAGE}?show={theirs.pk}").status_code == 404
    assert client.get(f"{PAGE}?show=abc").status_code == 404
    assert "A private body" not in client.get(PAGE).content.decode()


def test_it_lists_the_authors_recent_emails(client, employee):
    make_email(employee, body="Mine, all mine")
    client.force_login(employee)

    html = client.get(PAGE).content.decode()

    assert "Mine, all mine" in html and "Private subject" in html


def test_it_clears_only_the_authors_history(client, employee, teammate):
    make_email(employee)
    theirs = make_email(teammate)
    client.force_login(employee)

    response = client.post(CLEAR)

    assert response.status_code == 302
    assert list(ExcuseEmail.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert client.get(CLEAR).status_code == 405


def test_it_preselects_wellbeing_on_a_low_flow_day_but_lets_the_user_choose(client, employee):
    DailyMetric.objects.create(
        user=employee, team=employee.team, date=timezone.localdate(), flow_score=28.0
    )
    client.force_login(employee)

    html = client.get(PAGE).content.decode()

    assert 'id="excuse-suggestion"' in html and "FlowScore today is 28" in html
    assert '<option value="wellbeing" selected>' in html
    response = client.post(PAGE, form_data(reason="focus"))
    assert response.status_code == 302
    assert ExcuseEmail.objects.get().reason == "focus"


def test_it_rate_limits_the_page_with_the_api(client, api_client_for, employee, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "excuse": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client.force_login(employee)

    assert client.post(PAGE, form_data()).status_code == 302
    api = api_client_for(employee).post(
        "/api/v1/excuses/",
        {"meeting_title": "Sync", "organizer_name": "Sam", "reason": "focus", "tone": "brief"},
        format="json",
    )
    assert api.status_code == 201
    limited = client.post(PAGE, form_data())

    assert limited.status_code == 429
    assert "try again in about" in limited.content.decode()
    assert ExcuseEmail.objects.count() == 2


def test_it_sends_anonymous_visitors_to_sign_in(db, client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"
    assert client.post(PAGE, form_data()).status_code == 302
    assert not ExcuseEmail.objects.exists()


@pytest.mark.parametrize("persona", ["manager", "other_manager", "admin_user"])
def test_it_refuses_managers_and_admins(request, client, employee, persona):
    make_email(employee)
    client.force_login(request.getfixturevalue(persona))

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, form_data()).status_code == 403
    assert client.post(CLEAR).status_code == 403
    assert ExcuseEmail.objects.count() == 1


def test_admins_see_counts_but_never_the_wording(client, employee, teammate, admin_user):
    first = make_email(employee, body="Secret body one")
    make_email(teammate, body="Secret body two")
    client.force_login(admin_user)

    changelist = client.get("/admin/excuses/excuseemail/")
    detail = client.get(f"/admin/excuses/excuseemail/{first.pk}/change/")

    assert changelist.status_code == 200 and detail.status_code == 200
    for response in (changelist, detail):
        html = response.content.decode()
        for private in ("Secret body", "Private subject", "Private title", "Private organizer"):
            assert private not in html
        assert employee.username not in html
    assert changelist.context["excuse_counts"]["reason"] == {"personal": 2}
    assert "Emails written (2 in all)" in changelist.content.decode()
    assert client.get("/admin/excuses/excuseemail/add/").status_code == 403


@pytest.mark.parametrize("persona", ["employee", "manager"])
def test_only_admins_get_counts(db, request, persona):
    with pytest.raises(PermissionDenied):
        excuse_counts(user=request.getfixturevalue(persona))
