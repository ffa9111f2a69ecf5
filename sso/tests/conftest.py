"""A real OpenID provider for the sign-in tests, and the app configured to use it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings as django_settings

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
