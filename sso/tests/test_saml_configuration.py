"""SAML without configuration changes nothing; its settings come from the environment."""

import json

import pytest

from .test_settings import load_settings

pytestmark = pytest.mark.django_db

SAML_PATHS = [
    "/sso/saml/company/login/",
    "/sso/saml/company/acs/",
    "/sso/saml/company/acs/finish/",
    "/sso/saml/company/metadata/",
    "/sso/saml/company/sls/?SAMLRequest=x&Signature=y",
]


def test_it_offers_no_saml_button_and_no_saml_routes_when_not_configured(client):
    page = client.get("/accounts/login/")

    assert b"Sign in with" not in page.content
    assert b'name="password"' in page.content
    for path in SAML_PATHS:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"SAMLResponse": "x"}).status_code == 404, path


def test_only_the_configured_app_has_routes(client, settings):
    settings.SAML_ENABLED = True

    assert client.get("/sso/saml/other/metadata/").status_code == 404
    assert client.get("/saml/company/metadata/").status_code == 404
    assert client.get("/accounts/saml/company/metadata/").status_code == 404


PRINT = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'form_action': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']"
    "['form-action'], 'apps': settings.SOCIALACCOUNT_PROVIDERS['saml']['APPS']}))"
)


def loaded(**environment: str) -> dict:
    answer = load_settings(script=PRINT, **environment)
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout.strip().splitlines()[-1])


def test_it_configures_the_idp_with_signed_assertions_and_strict_checks_from_the_environment():
    found = loaded(
        SAML_IDP_ENTITY_ID="https://sts.windows.net/tenant/",
        SAML_IDP_SSO_URL="https://login.microsoftonline.com/tenant/saml2",
        SAML_IDP_X509CERT="MIIC...",
        SAML_PROVIDER_NAME="Acme",
        SAML_SP_ENTITY_ID="https://resonance.example.com/saml",
        SAML_ATTRIBUTE_EMAIL="mail,email",
        SAML_EXTRA_FORM_ACTION="https://login.live.com",
        LOCAL_PASSWORDS="false",
    )

    assert found["form_action"] == [
        "'self'",
        "https://login.microsoftonline.com",
        "https://login.live.com",
    ]
    [app] = found["apps"]
    assert (app["provider_id"], app["client_id"], app["name"]) == (
        "company-saml",
        "company",
        "Acme",
    )
    assert app["settings"]["idp"]["entity_id"] == "https://sts.windows.net/tenant/"
    assert app["settings"]["sp"]["entity_id"] == "https://resonance.example.com/saml"
    assert app["settings"]["attribute_mapping"]["email"] == ["mail", "email"]
    advanced = app["settings"]["advanced"]
    assert advanced["strict"] is True
    assert advanced["want_assertion_signed"] is True
    assert advanced["reject_idp_initiated_sso"] is True


def test_without_configuration_there_is_no_saml_app():
    assert loaded() == {"form_action": ["'self'"], "apps": []}


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"SAML_IDP_ENTITY_ID": "https://idp.example.com"}, "SAML_IDP_METADATA_URL"),
        ({"SAML_IDP_SSO_URL": "https://idp.example.com/sso"}, "SAML_IDP_ENTITY_ID"),
    ],
)
def test_it_refuses_to_start_half_configured(environment, message):
    answer = load_settings(script=PRINT, **environment)

    assert answer.returncode != 0
    assert message in answer.stderr
