import pytest
from django.urls import reverse


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("employee", "metrics:checkin"),
        ("manager", "teams:dashboard"),
        ("admin_user", "admin:index"),
    ],
)
def test_home_routes_by_role(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == reverse(expected)


def test_login_page_signs_in_and_routes(client, employee, password):
    response = client.post(
        "/accounts/login/", {"username": employee.username, "password": password}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("metrics:checkin")
    assert response.context["user"] == employee


def test_login_page_has_csrf_protection(employee, password):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/accounts/login/", {"username": employee.username, "password": password}
    )

    assert response.status_code == 403


def test_logout_requires_post(client, employee):
    client.force_login(employee)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_web_password_change_revokes_api_tokens(client, employee, password, api_client):
    tokens = api_client.post(
        "/api/v1/auth/token/", {"username": employee.username, "password": password}, format="json"
    ).json()
    client.force_login(employee)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": password,
            "new_password1": "Another-long-passphrase-7",
            "new_password2": "Another-long-passphrase-7",
        },
    )

    assert response.status_code == 302
    reuse = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert reuse.status_code == 401


ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/teams/team/",
    "/admin/teams/publishedteamperiod/",
    "/admin/teams/privacyspend/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_load_for_admins(client, admin_user, employee, path):
    client.force_login(admin_user)

    response = client.get(path)

    assert response.status_code == 200


def test_published_team_periods_and_the_ledger_are_read_only_in_the_admin(client, admin_user, team):
    from teams.tests.helpers import DAY, add_day, add_members, publish, week_of

    add_day(add_members(team, 5), DAY)
    publish(through=DAY)
    client.force_login(admin_user)
    listing = client.get("/admin/teams/publishedteamperiod/")
    cell = team.published_periods.get(period="week", date=week_of(DAY))

    assert listing.status_code == 200
    assert "5-9 people" in listing.content.decode()
    assert client.get("/admin/teams/publishedteamperiod/add/").status_code == 403
    page = client.get(f"/admin/teams/publishedteamperiod/{cell.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/teams/publishedteamperiod/{cell.pk}/delete/").status_code == 403
    assert client.get("/admin/teams/privacyspend/add/").status_code == 403
    # Spending per team: the most any member has spent this month, against the cap.
    teams = client.get("/admin/teams/team/").content.decode().lower()
    assert "privacy budget this month" in teams and "of 10" in teams


def test_admin_user_list_searches_and_filters(client, admin_user, employee, teammate):
    client.force_login(admin_user)

    response = client.get("/admin/accounts/user/", {"q": "erin", "role__exact": "employee"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [employee]


@pytest.mark.parametrize("persona", ["employee", "manager"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_closed_to_others(client, request, persona, path):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(path)

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_api_docs_work_without_a_cdn(client, employee):
    client.force_login(employee)

    docs = client.get("/api/docs/")
    schema = client.get("/api/schema/")

    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content


def test_the_api_reference_lists_every_operation_with_what_to_send(client):
    from resonance.api_reference import _schema

    page = client.get("/api/reference/")

    assert page.status_code == 200
    text = page.content.decode()
    paths = _schema()["paths"]
    for path, item in paths.items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                assert f"{method.upper()} {path}</code></h2>" in text, (method, path)
    assert "Idempotency-Key" in text and "A burst instead of one photo" in text
    assert 'lang="en"' in text


def test_the_password_link_shows_only_to_people_who_have_a_password(client, employee):
    password_page = reverse("accounts:password-change")
    client.force_login(employee)
    assert password_page in client.get(reverse("metrics:trends")).content.decode()

    # Someone who signs in through the company's provider has no password to change.
    employee.set_unusable_password()
    employee.save()
    client.force_login(employee)
    assert password_page not in client.get(reverse("metrics:trends")).content.decode()
