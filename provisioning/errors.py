"""SCIM errors (RFC 7644, section 3.12): one exception type, answered in the SCIM error shape."""

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """A request SCIM refuses: an HTTP status, an optional ``scimType`` and a readable detail."""

    def __init__(self, detail: str, *, status: int = 400, scim_type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.scim_type = scim_type

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def invalid_value(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidValue")


def invalid_path(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidPath")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidSyntax")


def not_found(resource: str, resource_id: str) -> ScimError:
    return ScimError(f"No {resource} with id {resource_id!r}.", status=404)
