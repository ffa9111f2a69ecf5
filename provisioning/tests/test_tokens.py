"""``manage.py scim_token``: the printed token opens /scim/v2/, a revoked one does not, and
only a digest is stored."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from provisioning.models import ScimToken

from .conftest import ScimClient


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("scim_token", *args, stdout=out)
    return out.getvalue()


def test_it_prints_a_working_token_once_on_the_last_line(db):
    output = run("create", "entra-id")

    token = output.strip().splitlines()[-1]
    scim = ScimClient(Client(), token)
    assert scim.get("/scim/v2/Users").status_code == 200
    row = ScimToken.objects.get(name="entra-id")
    assert row.last_used_at is not None
    # Only a digest is kept: the token itself is nowhere in the database.
    assert token not in {row.prefix, row.digest}
    assert row.prefix in token
    assert run("list").count("entra-id") == 1


def test_a_revoked_token_is_refused_and_others_keep_working(db):
    entra = run("create", "entra-id").strip().splitlines()[-1]
    okta = run("create", "okta").strip().splitlines()[-1]

    output = run("revoke", "entra-id")

    assert "Revoked" in output
    refused = ScimClient(Client(), entra).get("/scim/v2/Users")
    assert refused.status_code == 401
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "revoked" in refused.json()["detail"]
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert ScimClient(Client(), okta).get("/scim/v2/Users").status_code == 200
    listed = run("list").splitlines()  # by name: entra-id, okta
    assert listed[0].startswith("entra-id") and "revoked" in listed[0]
    assert listed[1].startswith("okta") and listed[1].endswith("active")


def test_a_forged_token_with_a_real_prefix_is_refused(db):
    token = run("create", "entra-id").strip().splitlines()[-1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert ScimClient(Client(), forged).get("/scim/v2/Users").status_code == 401
    assert ScimClient(Client(), "rscim_nothing_here").get("/scim/v2/Users").status_code == 401


def test_names_are_unique_and_unknown_names_are_refused(db):
    run("create", "entra-id")

    with pytest.raises(CommandError, match="already exists"):
        run("create", "entra-id")
    with pytest.raises(CommandError, match="No token named"):
        run("revoke", "nobody")
