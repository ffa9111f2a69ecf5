"""SAML 2.0 sign-in end to end: the app (live server) and a real identity provider (pysaml2,
on its own port), driven over HTTP by a requests session the way a browser would."""

from __future__ import annotations

import base64
import socket
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from tests.factories import AdminFactory, TeamFactory

from .conftest import (
    SAML_ROLE,
    csrf_token_of,
    saml_idp_answer,
    saml_sign_in_flow,
    settings_from_environment,
)
from .saml_idp import FAULTS
from .test_oidc_sign_in import signed_in_as

pytestmark = pytest.mark.django_db(transaction=True)

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@pytest.fixture
def atlas():
    return TeamFactory(name="Atlas")


def test_it_serves_sp_metadata_that_asks_for_signed_assertions(saml_sign_in, live_server):
    saml_sign_in()

    answer = requests.get(f"{live_server.url}/sso/saml/company/metadata/")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(answer.content)
    assert root.get("entityID") == f"{live_server.url}/sso/saml/company/metadata/"
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp is not None and sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{MD}AssertionConsumerService")
    assert acs is not None
    assert acs.get("Location") == f"{live_server.url}/sso/saml/company/acs/"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def test_it_creates_and_signs_in_a_new_person_and_places_them_in_a_team(
    new_session, saml_sign_in, live_server, atlas
):
    idp = saml_sign_in()
    session = new_session()

    answer = saml_idp_answer(session, live_server.url, "ada")
    final = session.post(answer.acs_url, data=answer.fields)

    assert answer.sso_url.startswith(idp.sso_url + "?")
    assert "SAMLRequest" in parse_qs(urlsplit(answer.sso_url).query)
    assert answer.acs_url == f"{live_server.url}/sso/saml/company/acs/"
    assert final.status_code == 200
    assert final.url.startswith(live_server.url)
    user = User.objects.get(email="ada@example.com")
    assert (user.username, user.role, user.team) == ("ada", User.Role.EMPLOYEE, atlas)
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("company-saml", "7f3a9c1e-ada")
    assert signed_in_as(session, live_server.url) == "ada"


def test_it_signs_the_same_person_in_again_by_name_id_and_follows_next(
    new_session, saml_sign_in, live_server, atlas
):
    saml_sign_in()
    saml_sign_in_flow(new_session(), live_server.url, "ada")
    first = User.objects.get(email="ada@example.com")
    User.objects.filter(pk=first.pk).update(email="ada.renamed@example.com")

    session = new_session()
    final = saml_sign_in_flow(session, live_server.url, "ada", next_url="/excuses/")

    assert urlsplit(final.url).path == "/excuses/"
    assert User.objects.filter(username__startswith="ada").count() == 1
    assert signed_in_as(session, live_server.url) == first.username


def test_it_links_an_existing_account_by_address_only_when_the_idp_is_trusted_for_it(
    new_session, saml_sign_in, live_server, employee
):
    saml_sign_in()
    refused_session = new_session()
    refused = saml_sign_in_flow(refused_session, live_server.url, "erin-at-idp")

    assert refused.status_code == 403
    assert "does not confirm that address as verified" in refused.text
    assert signed_in_as(refused_session, live_server.url) is None
    assert not SocialAccount.objects.exists()

    saml_sign_in(SAML_EMAIL_VERIFIED="true")
    session = new_session()
    saml_sign_in_flow(session, live_server.url, "erin-at-idp")

    assert signed_in_as(session, live_server.url) == "erin"
    assert SocialAccount.objects.get(user=employee).uid == "0b52d6aa-erin"


def test_it_never_links_an_administrator_by_address(new_session, saml_sign_in, live_server):
    AdminFactory(username="root", email="erin@example.com")
    saml_sign_in(SAML_EMAIL_VERIFIED="true")
    session = new_session()

    final = saml_sign_in_flow(session, live_server.url, "erin-at-idp")

    assert final.status_code == 403
    assert signed_in_as(session, live_server.url) is None


@pytest.mark.parametrize("fault", FAULTS)
def test_it_refuses_a_response_not_signed_by_the_idp_expired_or_not_meant_for_it(
    new_session, saml_sign_in, live_server, atlas, fault
):
    idp = saml_sign_in()
    idp.fault = fault
    session = new_session()

    final = saml_sign_in_flow(session, live_server.url, "ada")

    assert final.status_code == 401
    assert "not meant for Resonance" in final.text
    assert signed_in_as(session, live_server.url) is None
    assert not User.objects.filter(email="ada@example.com").exists()


def test_it_refuses_a_response_changed_after_signing(
    new_session, saml_sign_in, live_server, employee
):
    saml_sign_in(SAML_EMAIL_VERIFIED="true")
    session = new_session()
    answer = saml_idp_answer(session, live_server.url, "ada")
    document = base64.b64decode(answer.fields["SAMLResponse"]).decode()
    assert document.count("ada@example.com") == 1
    # Someone between the IdP and the app claims erin's address for themselves.
    forged = document.replace("ada@example.com", "erin@example.com")

    final = session.post(
        answer.acs_url,
        data={**answer.fields, "SAMLResponse": base64.b64encode(forged.encode()).decode()},
    )

    assert final.status_code == 401
    assert signed_in_as(session, live_server.url) is None
    assert not SocialAccount.objects.exists()


def test_it_refuses_a_response_posted_again(new_session, saml_sign_in, live_server, atlas):
    saml_sign_in()
    session = new_session()
    answer = saml_idp_answer(session, live_server.url, "ada")
    assert session.post(answer.acs_url, data=answer.fields).status_code == 200
    user = User.objects.get(email="ada@example.com")
    User.objects.filter(pk=user.pk).update(role=User.Role.ADMIN)

    # The captured Response, posted again from another browser and from the same one.
    other = new_session()
    replayed_elsewhere = other.post(answer.acs_url, data=answer.fields)
    replayed_here = session.post(answer.acs_url, data=answer.fields)

    assert replayed_elsewhere.status_code == 401
    assert "not meant for Resonance" in replayed_elsewhere.text
    assert signed_in_as(other, live_server.url) is None
    assert replayed_here.status_code == 401
    user.refresh_from_db()
    assert user.role == User.Role.ADMIN  # the replay applied nothing


def test_it_refuses_a_deactivated_account(new_session, saml_sign_in, live_server, atlas):
    saml_sign_in()
    saml_sign_in_flow(new_session(), live_server.url, "ada")
    User.objects.filter(email="ada@example.com").update(is_active=False)
    session = new_session()

    final = saml_sign_in_flow(session, live_server.url, "ada")

    assert final.status_code == 403
    assert "deactivated" in final.text
    assert signed_in_as(session, live_server.url) is None


def test_it_refuses_unknown_people_when_accounts_are_not_created(
    new_session, saml_sign_in, live_server
):
    saml_sign_in(SAML_CREATE_USERS="false")
    session = new_session()

    final = saml_sign_in_flow(session, live_server.url, "ada")

    assert final.status_code == 403
    assert "no Resonance account for you yet" in final.text
    assert not User.objects.filter(email="ada@example.com").exists()


def test_a_role_attribute_makes_a_manager_of_the_named_team(new_session, saml_sign_in, live_server):
    borealis = TeamFactory(name="Borealis")
    saml_sign_in(SAML_ROLE_ATTRIBUTE=SAML_ROLE, SAML_MANAGER_VALUES="resonance-managers")
    session = new_session()

    final = saml_sign_in_flow(session, live_server.url, "maya-at-idp")

    user = User.objects.get(email="maya.manager@example.com")
    assert user.role == User.Role.MANAGER
    assert list(user.managed_teams.all()) == [borealis]
    assert urlsplit(final.url).path == "/dashboard/"


def test_it_reads_the_idp_from_its_metadata_url(
    new_session, saml_sign_in, saml_idp, live_server, atlas
):
    saml_sign_in(
        SAML_IDP_METADATA_URL=f"{saml_idp.url}/metadata", SAML_IDP_SSO_URL="", SAML_IDP_X509CERT=""
    )
    session = new_session()

    answer = saml_idp_answer(session, live_server.url, "ada")
    session.post(answer.acs_url, data=answer.fields)

    # The SSO URL and the signing certificate came from the IdP's metadata.
    assert answer.sso_url.startswith(saml_idp.sso_url + "?")
    assert signed_in_as(session, live_server.url) == "ada"


def test_an_unreachable_idp_metadata_url_is_a_readable_503_not_a_crash(
    settings, new_session, live_server
):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    loaded = settings_from_environment(
        SAML_IDP_ENTITY_ID="https://idp.example.com/",
        SAML_IDP_METADATA_URL=f"http://127.0.0.1:{port}/metadata",
        SAML_PROVIDER_NAME="Example SAML",
    )
    for name, value in loaded.items():
        if name.startswith(("SAML_", "SOCIALACCOUNT_")):
            setattr(settings, name, value)
    session = new_session()

    login = f"{live_server.url}/sso/saml/company/login/"
    confirm = session.get(login)
    answers = {
        "login": session.post(
            login, data={"csrfmiddlewaretoken": csrf_token_of(confirm.text)}, allow_redirects=False
        ),
        "metadata": session.get(f"{live_server.url}/sso/saml/company/metadata/"),
    }

    for what, answer in answers.items():
        assert answer.status_code == 503, what
        assert "cannot be reached just now" in answer.text


def test_with_local_passwords_off_saml_alone_is_offered(
    new_session, saml_sign_in, live_server, employee, password, atlas
):
    saml_sign_in(LOCAL_PASSWORDS="false")
    session = new_session()

    page = session.get(f"{live_server.url}/accounts/login/")

    assert 'name="password"' not in page.text
    assert "Sign in with Example SAML" in page.text
    token = session.post(
        f"{live_server.url}/api/v1/auth/token/", json={"username": "erin", "password": password}
    )
    assert token.status_code == 401
    saml_sign_in_flow(session, live_server.url, "ada")
    assert signed_in_as(session, live_server.url) == "ada"


def test_a_signed_logout_from_the_idp_ends_the_session(
    new_session, saml_sign_in, live_server, atlas
):
    idp = saml_sign_in()
    saml_sign_in(SAML_IDP_SLO_URL=idp.slo_url)
    session = new_session()
    saml_sign_in_flow(session, live_server.url, "ada")
    sp_entity_id = f"{live_server.url}/sso/saml/company/metadata/"

    unsigned = session.get(idp.logout_request_url(sp_entity_id, "ada", signed=False))
    forged = session.get(idp.logout_request_url(sp_entity_id, "ada", signed=True, other_key=True))
    assert (unsigned.status_code, forged.status_code) == (400, 400)
    assert signed_in_as(session, live_server.url) == "ada"

    signed = session.get(idp.logout_request_url(sp_entity_id, "ada", signed=True))
    assert signed.status_code == 200
    assert signed.url.startswith(idp.slo_url + "?SAMLResponse=")
    assert signed_in_as(session, live_server.url) is None


def test_both_providers_are_offered_and_a_saml_sign_out_stays_off_the_openid_provider(
    new_session, saml_sign_in, company_sign_in, settings, live_server, atlas
):
    saml_sign_in()
    saml_apps = settings.SOCIALACCOUNT_PROVIDERS["saml"]
    company_sign_in()
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "saml": saml_apps}
    session = new_session()

    page = session.get(f"{live_server.url}/accounts/login/")
    final = saml_sign_in_flow(session, live_server.url, "ada")
    signed_out = session.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf_token_of(final.text)},
        allow_redirects=False,
    )

    assert "Sign in with Example Corp" in page.text
    assert "Sign in with Example SAML" in page.text
    assert signed_out.headers["Location"] == "/accounts/login/"
    assert signed_in_as(session, live_server.url) is None
