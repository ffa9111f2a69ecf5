"""Company sign-in end to end: the app (live server) and a real OpenID provider (a separate
process), driven over HTTP by a requests session the way a browser would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group

from accounts.models import User
from teams.models import Team
from tests.factories import AdminFactory, TeamFactory, UserFactory

from .conftest import company_sign_in_flow, csrf_token_of, forms_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def atlas():
    return TeamFactory(name="Atlas")


def signed_in_as(session: requests.Session, app_url: str) -> str | None:
    """The username the app shows in its sign-out button, or None when signed out."""
    page = session.get(f"{app_url}/alerts/preferences/")
    if "/accounts/login/" in page.url:
        return None
    marker = "Sign out "
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index("<", start)].strip()


def test_it_creates_and_signs_in_a_new_person_with_pkce_and_places_them_in_a_team(
    new_session, company_sign_in, live_server, atlas
):
    provider = company_sign_in()
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "ada")

    query = parse_qs(urlsplit(flow.authorize_url).query)
    # Discovery: the authorization endpoint came from the provider's metadata.
    assert flow.authorize_url.startswith(f"{provider.issuer}/authorize/")
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["client_id"] == [provider.clients["resonance"]["client_id"]]
    assert flow.final.status_code == 200
    assert flow.final.url.startswith(live_server.url)
    user = User.objects.get(email="ada@example.com")
    assert (user.username, user.role, user.team) == ("ada.lovelace", User.Role.EMPLOYEE, atlas)
    assert (user.first_name, user.last_name, user.time_zone) == ("Ada", "Lovelace", "Europe/London")
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).uid == "ada"
    assert signed_in_as(session, live_server.url) == "ada.lovelace"


def test_it_signs_the_same_person_in_again_by_subject_and_follows_next(
    new_session, company_sign_in, live_server, atlas
):
    company_sign_in()
    company_sign_in_flow(new_session(), live_server.url, "ada")
    first = User.objects.get(email="ada@example.com")
    User.objects.filter(pk=first.pk).update(email="ada.renamed@example.com")

    session = new_session()
    flow = company_sign_in_flow(session, live_server.url, "ada", next_url="/excuses/")

    assert urlsplit(flow.final.url).path == "/excuses/"
    assert User.objects.filter(username__startswith="ada").count() == 1
    assert signed_in_as(session, live_server.url) == first.username


def test_it_links_an_existing_account_by_a_verified_address(
    new_session, company_sign_in, live_server, employee
):
    company_sign_in()
    session = new_session()

    company_sign_in_flow(session, live_server.url, "erin-at-provider")

    assert signed_in_as(session, live_server.url) == "erin"
    assert SocialAccount.objects.get(user=employee).uid == "erin-at-provider"
    employee.refresh_from_db()
    assert employee.has_usable_password()  # a linked account keeps what it had


def test_it_refuses_an_address_the_provider_has_not_verified(
    new_session, company_sign_in, live_server, employee
):
    company_sign_in()
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "mallory")

    assert flow.final.status_code == 403
    assert "does not confirm that address as verified" in flow.final.text
    assert signed_in_as(session, live_server.url) is None
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(email__iexact="erin@example.com").count() == 1


def test_it_never_links_an_administrator_by_address(new_session, company_sign_in, live_server):
    AdminFactory(username="root", email="erin@example.com")
    company_sign_in()
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "erin-at-provider")

    assert flow.final.status_code == 403
    assert signed_in_as(session, live_server.url) is None


@pytest.mark.parametrize("client", ["wrong-audience", "expired-id-token"])
def test_it_refuses_an_id_token_not_meant_for_it_or_expired(
    new_session, company_sign_in, live_server, client
):
    company_sign_in(client)
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "ada")

    assert flow.final.status_code == 401
    assert "not meant for Resonance" in flow.final.text
    assert signed_in_as(session, live_server.url) is None
    assert not User.objects.filter(email="ada@example.com").exists()


def test_it_refuses_a_deactivated_account(new_session, company_sign_in, live_server, atlas):
    company_sign_in()
    company_sign_in_flow(new_session(), live_server.url, "ada")
    User.objects.filter(email="ada@example.com").update(is_active=False)
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "ada")

    assert flow.final.status_code == 403
    assert "deactivated" in flow.final.text
    assert signed_in_as(session, live_server.url) is None


def test_it_refuses_unknown_people_when_accounts_are_not_created(
    new_session, company_sign_in, live_server
):
    company_sign_in(OIDC_CREATE_USERS=False)
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "ada")

    assert flow.final.status_code == 403
    assert "no Resonance account for you yet" in flow.final.text
    assert not User.objects.filter(email="ada@example.com").exists()


def test_a_role_claim_makes_a_manager_of_the_named_team(new_session, company_sign_in, live_server):
    borealis = TeamFactory(name="Borealis")
    company_sign_in(OIDC_ROLE_CLAIM="groups", OIDC_MANAGER_VALUES=["resonance-managers"])
    session = new_session()

    flow = company_sign_in_flow(session, live_server.url, "maya-at-provider")

    user = User.objects.get(email="maya.manager@example.com")
    assert user.role == User.Role.MANAGER
    assert list(user.managed_teams.all()) == [borealis]
    assert user.team is None
    assert urlsplit(flow.final.url).path == "/dashboard/"


def test_an_unknown_team_is_created_only_when_allowed(new_session, company_sign_in, live_server):
    company_sign_in()
    company_sign_in_flow(new_session(), live_server.url, "ada")
    assert User.objects.get(email="ada@example.com").team is None

    company_sign_in(OIDC_CREATE_TEAMS=True)
    company_sign_in_flow(new_session(), live_server.url, "ada")
    # "everyone" comes first in the claim: with no team of either name, it is created.
    assert User.objects.get(email="ada@example.com").team == Team.objects.get(name="everyone")


def test_signing_out_ends_the_session_here_and_at_the_provider(
    new_session, company_sign_in, live_server, atlas
):
    provider = company_sign_in()
    session = new_session()
    flow = company_sign_in_flow(session, live_server.url, "ada")

    signed_out = session.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf_token_of(flow.final.text)},
        allow_redirects=False,
    )

    assert signed_out.status_code == 302
    end_session = signed_out.headers["Location"]
    assert end_session.startswith(f"{provider.issuer}/logout/")
    assert signed_in_as(session, live_server.url) is None
    confirm = session.get(end_session)
    fields = forms_of(confirm.text)[0]["fields"]
    back = session.post(confirm.url, data={**fields, "allow": "Logout"})
    assert back.url.startswith(f"{live_server.url}/accounts/login/")
    # The provider asks for a password again: its session has ended too.
    again = session.get(flow.authorize_url)
    assert "/accounts/login/" in again.url and again.url.startswith(provider.origin)


def test_provider_logout_can_be_turned_off(new_session, company_sign_in, live_server, atlas):
    company_sign_in(OIDC_PROVIDER_LOGOUT=False)
    session = new_session()
    flow = company_sign_in_flow(session, live_server.url, "ada")

    signed_out = session.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf_token_of(flow.final.text)},
        allow_redirects=False,
    )

    assert signed_out.headers["Location"] == "/accounts/login/"
    assert signed_in_as(session, live_server.url) is None


def test_a_password_sign_out_stays_local(
    new_session, company_sign_in, live_server, employee, password
):
    company_sign_in()
    session = new_session()
    page = session.get(f"{live_server.url}/accounts/login/")
    signed_in = session.post(
        page.url,
        data={
            "csrfmiddlewaretoken": csrf_token_of(page.text),
            "username": "erin",
            "password": password,
        },
    )

    signed_out = session.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf_token_of(signed_in.text)},
        allow_redirects=False,
    )

    assert signed_out.headers["Location"] == "/accounts/login/"


def test_with_local_passwords_off_only_exempt_accounts_use_a_password(
    new_session, company_sign_in, live_server, employee, password, atlas
):
    company_sign_in(LOCAL_PASSWORDS=False)
    service = UserFactory(username="exporter", team=None)
    service.groups.add(Group.objects.create(name="Password sign-in"))
    AdminFactory(username="root")
    session = new_session()

    page = session.get(f"{live_server.url}/accounts/login/")
    assert 'name="password"' not in page.text
    assert "Sign in with Example Corp" in page.text
    refused = session.post(
        page.url,
        data={
            "csrfmiddlewaretoken": csrf_token_of(page.text),
            "username": "erin",
            "password": password,
        },
    )
    assert signed_in_as(session, live_server.url) is None, refused.url
    token_url = f"{live_server.url}/api/v1/auth/token/"
    for username, expected in (("erin", 401), ("exporter", 200), ("root", 200)):
        answer = requests.post(token_url, json={"username": username, "password": password})
        assert answer.status_code == expected, (username, answer.text)
    company_sign_in_flow(session, live_server.url, "ada")
    assert signed_in_as(session, live_server.url) == "ada.lovelace"


def test_a_sign_in_cancelled_at_the_provider_says_so(new_session, company_sign_in, live_server):
    company_sign_in()
    session = new_session()
    page = session.get(f"{live_server.url}/accounts/login/")
    started = session.post(
        f"{live_server.url}/sso/login/",
        data={"csrfmiddlewaretoken": csrf_token_of(page.text)},
        allow_redirects=False,
    )
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]

    cancelled = session.get(
        f"{live_server.url}/sso/callback/", params={"error": "access_denied", "state": state}
    )

    assert cancelled.status_code == 400
    assert "Sign-in was cancelled" in cancelled.text
