"""A real OpenID provider for the sign-in tests, and the app configured to use it."""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings as django_settings

from .saml_idp import IdPUser, SamlIdentityProvider, serve

PROVIDER_PASSWORD = "provider-password-42"

# Who the provider knows, and what it says about them.
PROVIDER_USERS = {
    "ada": {
        "sub": "ada",
        "email": "ada@example.com",
        "email_verified": True,
        "preferred_username": "ada.lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "zoneinfo": "Europe/London",
        "groups": ["everyone", "Atlas"],
    },
    # The same address as the local employee "erin", verified by the provider.
    "erin-at-provider": {
        "sub": "erin-at-provider",
        "email": "erin@example.com",
        "email_verified": True,
        "preferred_username": "erin.e",
        "groups": ["Atlas"],
    },
    # Claims erin's address without the provider having verified it.
    "mallory": {
        "sub": "mallory",
        "email": "erin@example.com",
        "email_verified": False,
        "preferred_username": "mallory",
        "groups": ["Atlas"],
    },
    "maya-at-provider": {
        "sub": "maya-at-provider",
        "email": "maya.manager@example.com",
        "email_verified": True,
        "preferred_username": "maya.m",
        "groups": ["Borealis", "resonance-managers"],
    },
}
# Client applications registered at the provider; the names of the last two are faults the
# provider commits in the ID tokens it issues to them.
CLIENTS = ["resonance", "wrong-audience", "expired-id-token"]


@dataclass
class Provider:
    issuer: str
    clients: dict[str, dict[str, str]]
    process: subprocess.Popen

    @property
    def origin(self) -> str:
        return self.issuer.rsplit("/o", 1)[0]


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory) -> Iterator[Provider]:
    """django-oauth-toolkit with OpenID Connect on 127.0.0.1 (a free port), in its own process
    with its own SQLite database; the app itself is served by ``live_server`` on localhost, so
    the two never share cookies."""
    workdir = tmp_path_factory.mktemp("oidc-provider")
    clients = {
        name: {
            "client_id": f"client-{name}",
            "client_secret": f"secret-{name}-0123456789",
            "redirect_uri": f"{live_server.url}/sso/callback/",
            "post_logout_redirect_uri": f"{live_server.url}/accounts/login/",
        }
        for name in CLIENTS
    }
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {
                "database": str(workdir / "provider.sqlite3"),
                "clients": clients,
                "users": {
                    username: {"password": PROVIDER_PASSWORD, "claims": claims}
                    for username, claims in PROVIDER_USERS.items()
                },
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "sso.tests.oidc_provider.serve", str(config)],
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"The test OpenID provider did not start (exit {process.wait(5)}).")
        yield Provider(issuer=json.loads(line)["issuer"], clients=clients, process=process)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def company_sign_in(settings, oidc_provider):
    """Configure the app for the provider as an operator would (the settings the environment
    sets), for the client application named ``client``."""

    def configure(client: str = "resonance", **overrides: object) -> Provider:
        registered = oidc_provider.clients[client]
        settings.OIDC_SERVER_URL = oidc_provider.issuer
        settings.OIDC_PROVIDER_NAME = "Example Corp"
        settings.OIDC_CLIENT_ID = registered["client_id"]
        settings.OIDC_CLIENT_SECRET = registered["client_secret"]
        settings.OIDC_TEAM_CLAIM = "groups"
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": settings.OIDC_PROVIDER_ID,
                        "name": settings.OIDC_PROVIDER_NAME,
                        "client_id": registered["client_id"],
                        "secret": registered["client_secret"],
                        "settings": {
                            "server_url": oidc_provider.issuer,
                            "oauth_pkce_enabled": True,
                            "scope": settings.OIDC_SCOPES,
                        },
                    }
                ]
            }
        }
        for name, value in overrides.items():
            setattr(settings, name, value)
        return oidc_provider

    return configure


@pytest.fixture
def new_session() -> Iterator[Callable[[], requests.Session]]:
    """requests sessions playing the browser, closed before the test's database goes: a
    connection left open keeps a live-server thread, which would touch the database later."""
    opened: list[requests.Session] = []

    def make() -> requests.Session:
        opened.append(requests.Session())
        return opened[-1]

    yield make
    for session in opened:
        session.close()


class FormParser(HTMLParser):
    """The forms of a page: action and fields (with their values), in order."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "", "fields": {}})
        elif (
            tag in {"input", "button"}
            and self.forms
            and attributes.get("name")
            and attributes.get("type") != "submit"
        ):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value") or ""


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


@dataclass
class SignIn:
    """What happened on the way through a company sign-in."""

    authorize_url: str
    final: requests.Response


def company_sign_in_flow(
    session: requests.Session, app_url: str, provider_user: str, *, next_url: str = ""
) -> SignIn:
    """Press "Sign in with ..." on the app's login page, sign in at the provider, follow the
    redirects back. Every step is a real HTTP request to one of the two servers."""
    login_page = session.get(
        f"{app_url}/accounts/login/" + (f"?next={next_url}" if next_url else "")
    )
    login_page.raise_for_status()
    company_form = next(f for f in forms_of(login_page.text) if f["action"].startswith("/sso/"))
    started = session.post(
        urljoin(app_url, company_form["action"]), data=company_form["fields"], allow_redirects=False
    )
    assert started.status_code == 302, started.text[:500]
    authorize_url = started.headers["Location"]
    provider_login = session.get(authorize_url)
    assert "/accounts/login/" in provider_login.url, provider_login.url
    fields = forms_of(provider_login.text)[0]["fields"]
    fields.update(username=provider_user, password=PROVIDER_PASSWORD)
    final = session.post(provider_login.url, data=fields)
    return SignIn(authorize_url=authorize_url, final=final)


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


# --- SAML 2.0 -----------------------------------------------------------------------------

# Attribute names as Entra ID sends them: they contain dots, so they must match exactly.
SAML_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
SAML_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"

# Who the identity provider knows, and what it asserts about them.
SAML_USERS = {
    "ada": IdPUser(
        password=PROVIDER_PASSWORD,
        name_id="7f3a9c1e-ada",
        attributes={
            SAML_EMAIL: ["ada@example.com"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ["Ada"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ["Lovelace"],
            SAML_GROUPS: ["everyone", "Atlas"],
        },
    ),
    # The same address as the local employee "erin".
    "erin-at-idp": IdPUser(
        password=PROVIDER_PASSWORD,
        name_id="0b52d6aa-erin",
        attributes={SAML_EMAIL: ["erin@example.com"], SAML_GROUPS: ["Atlas"]},
    ),
    "maya-at-idp": IdPUser(
        password=PROVIDER_PASSWORD,
        name_id="c4e1f0d2-maya",
        attributes={
            SAML_EMAIL: ["maya.manager@example.com"],
            SAML_GROUPS: ["Borealis"],
            SAML_ROLE: ["resonance-managers"],
        },
    ),
}


def settings_from_environment(**environment: str) -> dict[str, object]:
    """resonance/settings.py executed with these environment variables (and no other SAML_,
    OIDC_ or LOCAL_PASSWORD ones): the values a deployment so configured runs with."""
    path = Path(django_settings.BASE_DIR) / "resonance" / "settings.py"
    saved = dict(os.environ)
    try:
        for key in list(os.environ):
            if key.startswith(("SAML_", "OIDC_", "LOCAL_PASSWORD")):
                del os.environ[key]
        os.environ.update(environment)
        return runpy.run_path(str(path))
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory) -> Iterator[SamlIdentityProvider]:
    """A pysaml2 identity provider on 127.0.0.1 (a free port), signing with its own key."""
    idp = SamlIdentityProvider(workdir=tmp_path_factory.mktemp("saml-idp"), users=SAML_USERS)
    server = serve(idp)
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def saml_sign_in(settings, saml_idp, live_server):
    """Configure the app for the IdP from environment variables, as an operator would, and
    register the app at the IdP with the SP metadata the app serves."""

    def configure(**environment: str) -> SamlIdentityProvider:
        loaded = settings_from_environment(
            **{
                "SAML_IDP_ENTITY_ID": saml_idp.entity_id,
                "SAML_IDP_SSO_URL": saml_idp.sso_url,
                "SAML_IDP_X509CERT": saml_idp.x509cert,
                "SAML_PROVIDER_NAME": "Example SAML",
                "SAML_TEAM_ATTRIBUTE": SAML_GROUPS,
                **environment,
            }
        )
        for name, value in loaded.items():
            if name.startswith(("SAML_", "LOCAL_PASSWORD", "SOCIALACCOUNT_")):
                setattr(settings, name, value)
        metadata = requests.get(f"{live_server.url}/sso/saml/company/metadata/", timeout=10)
        metadata.raise_for_status()
        saml_idp.trust(metadata.text)
        saml_idp.fault = None
        return saml_idp

    yield configure
    saml_idp.fault = None


@dataclass
class SamlAnswer:
    """The IdP's answer, as its page would post it to the app."""

    sso_url: str
    acs_url: str
    fields: dict[str, str]


def saml_idp_answer(
    session: requests.Session, app_url: str, idp_user: str, *, next_url: str = ""
) -> SamlAnswer:
    """Press "Sign in with ..." on the app's login page and sign in at the IdP; stops before
    the browser would post the IdP's Response to the app."""
    login_page = session.get(
        f"{app_url}/accounts/login/" + (f"?next={next_url}" if next_url else "")
    )
    login_page.raise_for_status()
    saml_form = next(f for f in forms_of(login_page.text) if f["action"].startswith("/sso/saml/"))
    started = session.post(
        urljoin(app_url, saml_form["action"]), data=saml_form["fields"], allow_redirects=False
    )
    assert started.status_code == 302, started.text[:500]
    idp_login = session.get(started.headers["Location"])
    assert idp_login.status_code == 200, idp_login.text[:500]
    form = forms_of(idp_login.text)[0]
    fields = {**form["fields"], "username": idp_user, "password": PROVIDER_PASSWORD}
    answered = session.post(urljoin(idp_login.url, form["action"]), data=fields)
    assert answered.status_code == 200, answered.text[:500]
    post = forms_of(answered.text)[0]
    return SamlAnswer(
        sso_url=started.headers["Location"], acs_url=post["action"], fields=post["fields"]
    )


def saml_sign_in_flow(
    session: requests.Session, app_url: str, idp_user: str, *, next_url: str = ""
) -> requests.Response:
    """The whole SAML sign-in; the final page after the app has taken the Response."""
    answer = saml_idp_answer(session, app_url, idp_user, next_url=next_url)
    return session.post(answer.acs_url, data=answer.fields)
