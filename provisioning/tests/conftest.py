"""A SCIM client that talks to /scim/v2/ the way an identity provider does: a bearer token
and application/scim+json bodies, through the whole Django stack."""

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client

from provisioning import services

SCIM_JSON = "application/scim+json"


def encoded(path: str) -> str:
    """``path`` with its query string percent-encoded (fixtures keep filters readable)."""
    parts = urlsplit(path)
    if not parts.query:
        return parts.path
    return f"{parts.path}?{urlencode(parse_qsl(parts.query, keep_blank_values=True))}"


class ScimClient:
    def __init__(self, client: Client, token: str):
        self.client = client
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = SCIM_JSON,
        token: str | None = None,
    ) -> Any:
        data = body if isinstance(body, str | bytes) else ("" if body is None else json.dumps(body))
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.client.generic(
            method.upper(), encoded(path), data, content_type=content_type, headers=headers
        )

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def patch(self, path: str, *operations: dict) -> Any:
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": list(operations),
        }
        return self.request("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


@pytest.fixture
def scim_token(db) -> str:
    _, raw = services.scim_token_create(name="entra-id")
    return raw


@pytest.fixture
def scim(scim_token) -> ScimClient:
    return ScimClient(Client(), scim_token)
