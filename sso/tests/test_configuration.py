"""Without configuration nothing changes; allauth's own pages never become reachable."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_offers_no_company_button_and_no_provider_routes_when_not_configured(
    client, employee, password
):
    page = client.get("/accounts/login/")

    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert b'name="password"' in page.content
    assert client.post("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404
    signed_in = client.post("/accounts/login/", {"username": "erin", "password": password})
    assert signed_in.status_code == 302
    assert client.get("/alerts/preferences/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/email/",
        "/accounts/confirm-email/abc/",
        "/accounts/3rdparty/",
        "/accounts/social/signup/",
        "/accounts/oidc/company/login/",
    ],
)
def test_allauths_own_pages_are_not_mounted(client, settings, path):
    settings.OIDC_SERVER_URL = "https://id.example.com"

    assert client.get(path).status_code == 404


@pytest.fixture
def configured(settings):
    settings.OIDC_SERVER_URL = "https://id.example.invalid"
    settings.OIDC_PROVIDER_NAME = "Example Corp"
    settings.OIDC_CLIENT_ID = "resonance"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "company",
                    "name": "Example Corp",
                    "client_id": "resonance",
                    "secret": "s3cret",
                    "settings": {"server_url": "https://id.example.invalid"},
                }
            ]
        }
    }


def test_the_button_posts_to_the_provider_login_and_keeps_next(client, configured):
    page = client.get("/accounts/login/?next=/excuses/")

    body = page.content.decode()
    assert 'action="/sso/login/"' in body
    assert "Sign in with Example Corp" in body
    assert 'name="next" value="/excuses/"' in body


def test_a_get_of_the_provider_login_asks_before_leaving(client, configured):
    page = client.get("/sso/login/")

    assert page.status_code == 200
    assert b"Continue to Example Corp" in page.content


def test_a_callback_without_a_started_sign_in_is_refused_readably(client, configured):
    answer = client.get("/sso/callback/?code=forged&state=forged")

    assert answer.status_code == 401
    assert b"Company sign-in did not work" in answer.content
    assert not User.objects.filter(is_active=True).exists()
