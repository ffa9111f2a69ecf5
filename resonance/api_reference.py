"""The API reference as a plain page: every operation of the OpenAPI schema, its parameters,
request fields and answers, in the site's own accessible layout (the interactive Swagger UI at
``/api/docs/`` stays for trying calls; its own markup fails contrast and nesting checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    where: str  # "path", "query", "header" or "body"
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    fields: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = schema
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return dict(target)


def _type_of(schema: dict[str, Any], node: dict[str, Any]) -> str:
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    if node.get("allOf"):
        return _type_of(schema, node["allOf"][0])
    if "oneOf" in node:
        return " or ".join(_type_of(schema, option) for option in node["oneOf"])
    kind = str(node.get("type", "object"))
    if kind == "array":
        return f"list of {_type_of(schema, node.get('items', {}))}"
    if "enum" in node:
        return f"{kind}: one of {', '.join(str(v) for v in node['enum'] if v is not None)}"
    return f"{kind} ({node['format']})" if "format" in node else kind


def _body_fields(schema: dict[str, Any], body: dict[str, Any]) -> list[Field]:
    content: dict[str, Any] = body.get("content", {})
    media: dict[str, Any] = next(iter(content.values()), {}) if content else {}
    model = _resolve(schema, media.get("schema", {}))
    required = set(model.get("required", []))
    return [
        Field(
            name=name,
            where="body",
            type=_type_of(schema, prop),
            required=name in required,
            description=str(_resolve(schema, prop).get("description", "")),
        )
        for name, prop in model.get("properties", {}).items()
        if not prop.get("readOnly")
    ]


def _meaning(code: str, answer: dict[str, Any]) -> str:
    """The answer's own description, or the status's name and what it returns."""
    if answer.get("description"):
        return str(answer["description"])
    try:
        phrase = HTTPStatus(int(code)).phrase
    except ValueError:
        phrase = code
    content: dict[str, Any] = answer.get("content", {})
    media: dict[str, Any] = next(iter(content.values()), {}) if content else {}
    body: dict[str, Any] = media.get("schema", {})
    returns = body.get("$ref", "").rsplit("/", 1)[-1] or body.get("type", "")
    if body.get("type") == "array":
        returns = "list of " + body.get("items", {}).get("$ref", "").rsplit("/", 1)[-1]
    return f"{phrase}: {returns}" if returns else phrase


def operations(schema: dict[str, Any]) -> list[Operation]:
    """The schema's operations in path order, with what a caller sends and gets back."""
    out = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            fields = [
                Field(
                    name=p["name"],
                    where=p["in"],
                    type=_type_of(schema, p.get("schema", {})),
                    required=bool(p.get("required")),
                    description=str(p.get("description", "")),
                )
                for p in (_resolve(schema, p) for p in operation.get("parameters", []))
            ]
            if "requestBody" in operation:
                fields += _body_fields(schema, _resolve(schema, operation["requestBody"]))
            out.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=str(operation.get("operationId", f"{method}{path}")),
                    summary=str(operation.get("summary", "")),
                    description=str(operation.get("description", "")),
                    fields=fields,
                    responses=[
                        (code, _meaning(code, _resolve(schema, answer)))
                        for code, answer in operation.get("responses", {}).items()
                    ],
                )
            )
    return out


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return schema


@require_GET
def api_reference(request: HttpRequest) -> HttpResponse:
    schema = _schema()
    return render(
        request,
        "api_reference.html",
        {"info": schema.get("info", {}), "operations": operations(schema)},
    )
