"""OpenAPI post-processing: document the error responses every endpoint can give."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "A readable explanation."},
        "code": {"type": "string"},
        "errors": {"type": "object", "description": "Field errors, by field name."},
    },
    "required": ["detail"],
}

DESCRIPTIONS = {
    "400": "Invalid input; see `detail` and `errors`.",
    "401": "Not signed in, or the token is invalid or expired.",
    "403": "Signed in, but this role may not use this endpoint.",
    "404": "No such object, or not yours.",
    "405": "Method not allowed.",
    "413": "An uploaded file is over the size limit.",
    "415": "Unsupported media type.",
    "429": "Too many requests (rate limit or login lockout).",
    "503": "A model or the broker is unavailable; try again later.",
}


def add_error_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """Every operation documents the 4xx answers the framework gives it, with one shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            codes = ["400", "401", "403", "405", "429"]
            if "{" in path:
                codes.append("404")
            content_types = operation.get("requestBody", {}).get("content", {})
            if content_types:
                codes.append("415")
            if "multipart/form-data" in content_types:
                codes += ["413", "503"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": ref})
    return result
