"""What a SCIM request asks to change, read from a resource (POST, PUT) or from PATCH
operations, in the shapes Microsoft Entra ID and Okta send. Pure: no database.

Users map to ``accounts.User``: ``userName`` -> ``username``, the primary of ``emails`` ->
``email``, ``name.givenName``/``name.familyName`` -> ``first_name``/``last_name``, ``active``
-> ``is_active``, ``timezone`` -> ``time_zone``; ``externalId`` is kept by provisioning.
Attributes of the SCIM core and enterprise User schemas that Resonance has no place for
(``displayName``, ``title``, ``phoneNumbers``, the enterprise ``manager``...) are accepted and
ignored, so an identity provider's default attribute mappings work unchanged; any other
attribute is refused with 400 ``invalidPath``.
"""

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

from .errors import ScimError, invalid_path, invalid_syntax, invalid_value
from .filters import parse_filter

CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Core User attributes accepted and not stored (RFC 7643, section 4.1).
IGNORED_USER_ATTRIBUTES = frozenset(
    {
        "displayname",
        "nickname",
        "profileurl",
        "title",
        "usertype",
        "preferredlanguage",
        "locale",
        "phonenumbers",
        "ims",
        "photos",
        "addresses",
        "entitlements",
        "roles",
        "x509certificates",
    }
)
# Ignored inside ``name``: only the given and family names are stored.
IGNORED_NAME_PARTS = frozenset({"formatted", "middlename", "honorificprefix", "honorificsuffix"})
# Read-only attributes that a resource body may carry back (RFC 7643: ignored on input).
READ_ONLY = frozenset({"id", "meta", "schemas", "groups"})

OPERATIONS = frozenset({"add", "replace", "remove"})


@dataclass
class UserFields:
    """Values to write; ``None`` leaves the attribute as it is, ``""`` clears a text."""

    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    active: bool | None = None
    external_id: str | None = None
    time_zone: str | None = None
    password: str | None = None
    changed: list[str] = field(default_factory=list)

    def set(self, attribute: str, name: str, value: Any) -> None:
        setattr(self, attribute, value)
        if name not in self.changed:
            self.changed.append(name)


@dataclass
class GroupFields:
    """Values to write; ``member_steps`` are applied in order: ("add" | "remove" | "replace",
    user ids), with ("remove", None) meaning every member."""

    display_name: str | None = None
    external_id: str | None = None
    member_steps: list[tuple[str, list[str] | None]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def note(self, name: str) -> None:
        if name not in self.changed:
            self.changed.append(name)


@dataclass(frozen=True)
class Operation:
    op: str  # add | replace | remove
    path: str | None
    value: Any


# --- Reading values ----------------------------------------------------------------


def as_bool(value: Any, name: str) -> bool:
    """A boolean, also from the strings "True"/"False" that Entra ID sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise invalid_value(f"{name} must be true or false, not {value!r}.")


def as_text(value: Any, name: str, *, required: bool = False, max_length: int = 255) -> str:
    if value is None:
        if required:
            raise invalid_value(f"{name} is required and may not be empty.")
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{name} must be a string, not {value!r}.")
    value = value.strip()
    if required and not value:
        raise invalid_value(f"{name} is required and may not be empty.")
    if len(value) > max_length:
        raise invalid_value(f"{name} is longer than {max_length} characters.")
    return value


def as_time_zone(value: Any) -> str:
    zone = as_text(value, "timezone", required=True, max_length=64)
    if zone not in available_timezones():
        raise invalid_value(
            f"timezone must be an IANA time zone such as Europe/Paris, not {zone!r}."
        )
    return zone


def primary_email(value: Any) -> str:
    """The primary address of a SCIM ``emails`` list (else its first), or ``""``."""
    if value is None:
        return ""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid_value("emails must be a list of objects with a value.")
    if not value:
        return ""
    chosen = next((item for item in value if _is_true(item.get("primary"))), value[0])
    return as_text(chosen.get("value"), "emails.value", max_length=254)


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def member_ids(value: Any) -> list[str]:
    """The user ids of a SCIM ``members`` list."""
    if not isinstance(value, list):
        raise invalid_value("members must be a list of objects with a value (a user id).")
    found = []
    for item in value:
        member = item.get("value") if isinstance(item, dict) else None
        if isinstance(member, int) and not isinstance(member, bool):
            member = str(member)
        if not isinstance(member, str) or not member.strip():
            raise invalid_value(f"Each member needs a value (a user id); got {item!r}.")
        found.append(member.strip())
    return found


def _strip_schema(path: str, schema: str) -> str:
    if path.lower().startswith(schema.lower() + ":"):
        return path[len(schema) + 1 :]
    return path


# --- Resources (POST, PUT) ------------------------------------------------------------


def user_fields_from_resource(body: dict[str, Any], *, creating: bool) -> UserFields:
    """The User attributes of a full resource. Absent names and emails are cleared (a PUT
    replaces); an absent ``active`` is true on creation and left alone on replacement, as are
    an absent ``timezone`` and ``externalId`` (the identity provider's own key, which a PUT
    that leaves it out must not lose)."""
    fields = UserFields()
    fields.set(
        "username",
        "userName",
        as_text(body.get("userName"), "userName", required=True, max_length=150),
    )
    name = body.get("name") or {}
    if not isinstance(name, dict):
        raise invalid_value("name must be an object with givenName and familyName.")
    fields.set(
        "first_name",
        "name.givenName",
        as_text(name.get("givenName"), "name.givenName", max_length=150),
    )
    fields.set(
        "last_name",
        "name.familyName",
        as_text(name.get("familyName"), "name.familyName", max_length=150),
    )
    fields.set("email", "emails", primary_email(body.get("emails")))
    if "externalId" in body:
        fields.set("external_id", "externalId", as_text(body["externalId"], "externalId"))
    if "active" in body:
        fields.set("active", "active", as_bool(body["active"], "active"))
    elif creating:
        fields.active = True
    if body.get("timezone") is not None:
        fields.set("time_zone", "timezone", as_time_zone(body["timezone"]))
    if body.get("password") is not None:
        fields.set(
            "password",
            "password",
            as_text(body["password"], "password", required=True, max_length=128),
        )
    return fields


def group_fields_from_resource(body: dict[str, Any]) -> GroupFields:
    """The Group attributes of a full resource. An absent ``members`` leaves the members as
    they are; a present one (even empty) replaces them."""
    fields = GroupFields()
    fields.display_name = as_text(
        body.get("displayName"), "displayName", required=True, max_length=120
    )
    fields.note("displayName")
    if "externalId" in body:
        fields.external_id = as_text(body["externalId"], "externalId")
        fields.note("externalId")
    if body.get("members") is not None:
        fields.member_steps.append(("replace", member_ids(body["members"])))
        fields.note("members")
    return fields


# --- PATCH ---------------------------------------------------------------------------


def parse_operations(body: dict[str, Any]) -> list[Operation]:
    """The operations of a PatchOp body, with the op lower-cased (Entra ID sends "Replace")."""
    raw = body.get("Operations", body.get("operations"))
    if not isinstance(raw, list) or not raw:
        raise invalid_syntax("A PATCH body needs an Operations list with at least one operation.")
    found = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid_syntax(f"Each operation must be an object; got {item!r}.")
        op = item.get("op")
        if not isinstance(op, str) or op.lower() not in OPERATIONS:
            raise invalid_syntax(f"op must be add, replace or remove; got {op!r}.")
        path = item.get("path")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise invalid_path(f"path must be a non-empty string; got {path!r}.")
        op = op.lower()
        if path is None:
            if op == "remove":
                raise ScimError("A remove operation needs a path.", scim_type="noTarget")
            if not isinstance(item.get("value"), dict):
                raise invalid_value("An operation without a path needs an object as its value.")
        found.append(Operation(op=op, path=path.strip() if path else None, value=item.get("value")))
    return found


_VALUE_FILTER = re.compile(r"^(?P<attribute>\w+)\[(?P<filter>.+)\](?:\.(?P<sub>\w+))?$", re.S)


def user_fields_from_patch(operations: list[Operation]) -> UserFields:
    fields = UserFields()
    for operation in operations:
        if operation.path is None:
            for key, value in operation.value.items():
                if key.lower() in {"id", "meta", "schemas"}:
                    continue
                _patch_user_path(fields, operation.op, key, value)
        else:
            _patch_user_path(fields, operation.op, operation.path, operation.value)
    return fields


def _patch_user_path(fields: UserFields, op: str, path: str, value: Any) -> None:
    path = _strip_schema(path, CORE_USER_SCHEMA)
    lowered = path.lower()
    removing = op == "remove"
    if lowered.startswith(ENTERPRISE_USER_SCHEMA.lower()):
        return
    if lowered == "active":
        if removing:
            raise ScimError("active cannot be removed; set it to false.", scim_type="mutability")
        fields.set("active", "active", as_bool(value, "active"))
    elif lowered == "username":
        if removing:
            raise ScimError("userName is required and cannot be removed.", scim_type="mutability")
        fields.set(
            "username", "userName", as_text(value, "userName", required=True, max_length=150)
        )
    elif lowered == "externalid":
        fields.set("external_id", "externalId", "" if removing else as_text(value, "externalId"))
    elif lowered == "timezone":
        fields.set("time_zone", "timezone", "UTC" if removing else as_time_zone(value))
    elif lowered == "password":
        if removing:
            raise ScimError("password cannot be removed.", scim_type="mutability")
        fields.set(
            "password", "password", as_text(value, "password", required=True, max_length=128)
        )
    elif lowered == "name":
        _patch_name(fields, op, value)
    elif lowered.startswith("name."):
        _patch_name_part(fields, lowered.removeprefix("name."), None if removing else value, path)
    elif lowered == "emails" or lowered == "emails.value":
        if removing:
            fields.set("email", "emails", "")
        elif lowered == "emails.value":
            fields.set("email", "emails", as_text(value, "emails.value", max_length=254))
        else:
            fields.set("email", "emails", primary_email(value))
    elif lowered.startswith("emails["):
        _patch_email_filtered(fields, op, path, value)
    elif lowered.split("[")[0].split(".")[0] == "groups":
        raise ScimError(
            "groups is read-only on a User: change membership through /Groups.",
            scim_type="mutability",
        )
    elif lowered in {"id", "meta", "schemas"}:
        raise ScimError(f"{path} is read-only.", scim_type="mutability")
    elif lowered.split("[")[0].split(".")[0] in IGNORED_USER_ATTRIBUTES:
        return
    else:
        raise invalid_path(f"Unknown attribute path {path!r} for a User.")


def _patch_name(fields: UserFields, op: str, value: Any) -> None:
    if op == "remove":
        fields.set("first_name", "name.givenName", "")
        fields.set("last_name", "name.familyName", "")
        return
    if not isinstance(value, dict):
        raise invalid_value("name must be an object with givenName and familyName.")
    for part, part_value in value.items():
        _patch_name_part(fields, part.lower(), part_value, f"name.{part}")


def _patch_name_part(fields: UserFields, part: str, value: Any, path: str) -> None:
    if part == "givenname":
        fields.set("first_name", "name.givenName", as_text(value, "name.givenName", max_length=150))
    elif part == "familyname":
        fields.set(
            "last_name", "name.familyName", as_text(value, "name.familyName", max_length=150)
        )
    elif part not in IGNORED_NAME_PARTS:
        raise invalid_path(f"Unknown attribute path {path!r} for a User.")


def _patch_email_filtered(fields: UserFields, op: str, path: str, value: Any) -> None:
    """``emails[type eq "work"].value``: Resonance keeps one address, so any value filter on
    emails names it."""
    match = _VALUE_FILTER.match(path)
    if match is None:
        raise invalid_path(f"Cannot read the attribute path {path!r}.")
    parse_filter(match["filter"])  # a malformed filter is refused, not ignored
    sub = (match["sub"] or "").lower()
    if op == "remove" and sub in {"", "value"}:
        fields.set("email", "emails", "")
    elif sub == "value":
        fields.set("email", "emails", as_text(value, "emails.value", max_length=254))
    elif sub == "":
        items = value if isinstance(value, list) else [value]
        fields.set("email", "emails", primary_email(items))
    elif sub not in {"type", "primary", "display"}:
        raise invalid_path(f"Unknown attribute path {path!r} for a User.")


def group_fields_from_patch(operations: list[Operation], *, group_id: str) -> GroupFields:
    fields = GroupFields()
    for operation in operations:
        if operation.path is None:
            for key, value in operation.value.items():
                if key.lower() in {"meta", "schemas"}:
                    continue
                if key.lower() == "id":
                    if str(value) != group_id:
                        raise ScimError("id is read-only.", scim_type="mutability")
                    continue
                _patch_group_path(fields, operation.op, key, value)
        else:
            _patch_group_path(fields, operation.op, operation.path, operation.value)
    return fields


def _patch_group_path(fields: GroupFields, op: str, path: str, value: Any) -> None:
    path = _strip_schema(path, CORE_GROUP_SCHEMA)
    lowered = path.lower()
    if lowered == "displayname":
        if op == "remove":
            raise ScimError(
                "displayName is required and cannot be removed.", scim_type="mutability"
            )
        fields.display_name = as_text(value, "displayName", required=True, max_length=120)
        fields.note("displayName")
    elif lowered == "externalid":
        fields.external_id = "" if op == "remove" else as_text(value, "externalId")
        fields.note("externalId")
    elif lowered == "members":
        if op == "remove":
            fields.member_steps.append(("remove", None if value is None else member_ids(value)))
        else:
            fields.member_steps.append((op if op == "replace" else "add", member_ids(value)))
        fields.note("members")
    elif lowered.startswith("members["):
        match = _VALUE_FILTER.match(path)
        if match is None or match["sub"] is not None or op != "remove":
            raise invalid_path(f"Only remove works on {path!r}; use members with a value list.")
        conditions = parse_filter(match["filter"])
        ids = [str(c.value) for c in conditions if c.attribute == "value" and not c.within]
        if len(ids) != 1 or len(conditions) != 1:
            raise invalid_path(f'Name one member as members[value eq "<id>"], not {path!r}.')
        fields.member_steps.append(("remove", ids))
        fields.note("members")
    elif lowered in {"id", "meta", "schemas"}:
        raise ScimError(f"{path} is read-only.", scim_type="mutability")
    else:
        raise invalid_path(f"Unknown attribute path {path!r} for a Group.")
