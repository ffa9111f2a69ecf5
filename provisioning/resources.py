"""SCIM documents: Users and Groups as the identity provider reads them, list responses, and
the discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas). Pure: the caller
passes the rows and the base URL."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings

from accounts.models import User
from teams.models import Team

from .attributes import CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
CONTENT_TYPE = "application/scim+json"
# Attributes every representation keeps, whatever ``attributes`` asks (RFC 7643, 2.4).
ALWAYS_RETURNED = frozenset({"id", "schemas"})


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def user_resource(user: User, *, base_url: str) -> dict[str, Any]:
    link = getattr(user, "provisioning", None)
    location = f"{base_url}Users/{user.pk}"
    resource: dict[str, Any] = {
        "schemas": [CORE_USER_SCHEMA],
        "id": str(user.pk),
        "userName": user.username,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": user.get_full_name(),
        },
        "displayName": user.get_full_name() or user.username,
        "active": user.is_active,
        "timezone": user.time_zone,
        "emails": ([{"value": user.email, "type": "work", "primary": True}] if user.email else []),
        "groups": (
            [
                {
                    "value": str(user.team_id),
                    "display": user.team.name,
                    "$ref": f"{base_url}Groups/{user.team_id}",
                    "type": "direct",
                }
            ]
            if user.team_id is not None and user.team is not None
            else []
        ),
        "meta": {
            "resourceType": "User",
            "created": _timestamp(user.date_joined),
            "lastModified": _timestamp(link.updated_at if link else user.date_joined),
            "location": location,
        },
    }
    if link is not None and link.external_id:
        resource["externalId"] = link.external_id
    return resource


def group_resource(team: Team, members: Iterable[User], *, base_url: str) -> dict[str, Any]:
    link = getattr(team, "provisioning", None)
    resource: dict[str, Any] = {
        "schemas": [CORE_GROUP_SCHEMA],
        "id": str(team.pk),
        "displayName": team.name,
        "members": [
            {
                "value": str(member.pk),
                "display": member.username,
                "$ref": f"{base_url}Users/{member.pk}",
            }
            for member in members
        ],
        "meta": {
            "resourceType": "Group",
            "created": _timestamp(team.created_at),
            "lastModified": _timestamp(link.updated_at if link else team.created_at),
            "location": f"{base_url}Groups/{team.pk}",
        },
    }
    if link is not None and link.external_id:
        resource["externalId"] = link.external_id
    return resource


def select_attributes(
    resource: dict[str, Any], *, attributes: Sequence[str], excluded: Sequence[str]
) -> dict[str, Any]:
    """``attributes``/``excludedAttributes`` over top-level attribute names (case-insensitive),
    e.g. ``excludedAttributes=members`` which Entra ID sends when it looks up a group."""
    if attributes:
        wanted = {a.split(".")[0].lower() for a in attributes} | ALWAYS_RETURNED
        return {k: v for k, v in resource.items() if k.lower() in wanted}
    if excluded:
        unwanted = {a.split(".")[0].lower() for a in excluded} - ALWAYS_RETURNED
        return {k: v for k, v in resource.items() if k.lower() not in unwanted}
    return resource


def list_response(
    resources: list[dict[str, Any]], *, total: int, start_index: int
) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def service_provider_config(*, base_url: str) -> dict[str, Any]:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": "",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.SCIM_MAX_RESULTS},
        "changePassword": {"supported": True},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token made with manage.py scim_token create NAME, sent as "
                "Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}ServiceProviderConfig",
        },
    }


def resource_types(*, base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A person: an employee, a manager or an admin.",
            "schema": CORE_USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A team. A person belongs to at most one team.",
            "schema": CORE_GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}ResourceTypes/Group"},
        },
    ]


def _attribute(
    name: str,
    kind: str = "string",
    *,
    required: bool = False,
    multi: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    case_exact: bool = False,
    returned: str = "default",
    sub: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        attribute["subAttributes"] = sub
    return attribute


def schemas(*, base_url: str) -> list[dict[str, Any]]:
    """The attributes Resonance stores (others of the core schema are accepted and ignored)."""
    reference = [
        _attribute("value", required=True, description="The id of the resource."),
        _attribute("display", mutability="readOnly"),
        _attribute("$ref", "reference", mutability="readOnly"),
    ]
    user = {
        "schemas": [SCHEMA_SCHEMA],
        "id": CORE_USER_SCHEMA,
        "name": "User",
        "description": "A person.",
        "attributes": [
            _attribute(
                "userName",
                required=True,
                uniqueness="server",
                description="The sign-in name (Django username).",
            ),
            _attribute(
                "name",
                "complex",
                sub=[
                    _attribute("givenName"),
                    _attribute("familyName"),
                    _attribute("formatted", mutability="readOnly"),
                ],
            ),
            _attribute(
                "displayName",
                mutability="readOnly",
                description="The full name, else the userName.",
            ),
            _attribute(
                "emails",
                "complex",
                multi=True,
                sub=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")],
                description="One address is kept: the primary one.",
            ),
            _attribute(
                "active",
                "boolean",
                description="false signs the person out everywhere; data is kept.",
            ),
            _attribute("timezone", description="An IANA time zone, e.g. Europe/Paris."),
            _attribute("password", mutability="writeOnly", returned="never"),
            _attribute(
                "groups",
                "complex",
                multi=True,
                mutability="readOnly",
                sub=reference,
                description="The person's team, if any.",
            ),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}Schemas/{CORE_USER_SCHEMA}"},
    }
    group = {
        "schemas": [SCHEMA_SCHEMA],
        "id": CORE_GROUP_SCHEMA,
        "name": "Group",
        "description": "A team.",
        "attributes": [
            _attribute("displayName", required=True, uniqueness="server"),
            _attribute(
                "members",
                "complex",
                multi=True,
                sub=reference,
                description="Adding a person moves them from any other team.",
            ),
        ],
        "meta": {"resourceType": "Schema", "location": f"{base_url}Schemas/{CORE_GROUP_SCHEMA}"},
    }
    return [user, group]
