"""The settings read from the environment, in a fresh interpreter each (settings load once)."""

import json
import os
import subprocess
import sys

from django.conf import settings as django_settings

PRINT = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'form_action': settings.CONTENT_SECURITY_POLICY['DIRECTIVES']"
    "['form-action'], 'apps': settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS']}))"
)


def load_settings(*, script: str = PRINT, **environment: str) -> subprocess.CompletedProcess:
    """Run ``script`` after loading the settings with these variables and none of the other
    company sign-in ones."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OIDC_", "SAML_", "LOCAL_PASSWORD"))
    }
    env.update(DJANGO_SETTINGS_MODULE="resonance.settings", **environment)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_configures_the_provider_and_its_form_action_from_the_environment():
    loaded = load_settings(
        OIDC_SERVER_URL="https://login.example.com/realms/acme/",
        OIDC_CLIENT_ID="resonance",
        OIDC_CLIENT_SECRET="s3cret",
        OIDC_PROVIDER_NAME="Acme",
    )

    assert loaded.returncode == 0, loaded.stderr
    found = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert found["form_action"] == ["'self'", "https://login.example.com"]
    [app] = found["apps"]
    assert app["name"] == "Acme"
    assert app["client_id"] == "resonance"
    assert app["settings"]["server_url"] == "https://login.example.com/realms/acme"
    assert app["settings"]["oauth_pkce_enabled"] is True


def test_without_configuration_there_is_no_provider():
    loaded = load_settings()

    found = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert found == {"form_action": ["'self'"], "apps": []}


def test_it_refuses_to_start_half_configured_or_with_no_way_to_sign_in():
    half = load_settings(OIDC_SERVER_URL="https://login.example.com")
    locked_out = load_settings(LOCAL_PASSWORDS="false")

    assert half.returncode != 0 and "OIDC_CLIENT_ID" in half.stderr
    assert locked_out.returncode != 0 and "LOCAL_PASSWORDS=false" in locked_out.stderr
