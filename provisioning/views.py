"""The SCIM 2.0 endpoints (RFC 7644) under ``/scim/v2/``: thin views that authenticate the
identity provider's bearer token, read the JSON body and delegate to services and selectors.

Only a bearer token made with ``manage.py scim_token create`` opens them; a signed-in
person's session opens nothing here. Every error is a SCIM error document.
"""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import attributes, resources, selectors, services
from .errors import ScimError, invalid_syntax, invalid_value
from .filters import parse_filter
from .models import ScimToken

ACCEPTED_CONTENT_TYPES = frozenset({"application/scim+json", "application/json"})


def scim_response(document: dict[str, Any] | None, *, status: int = 200) -> HttpResponse:
    if document is None:
        return HttpResponse(status=status)
    return JsonResponse(document, status=status, content_type=resources.CONTENT_TYPE)


def error_response(error: ScimError) -> HttpResponse:
    response = scim_response(error.as_json(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Authenticates, parses, and turns ``ScimError`` into a SCIM error document."""

    token: ScimToken
    body: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            self.token = self._authenticate(request)
            if request.method in {"POST", "PUT", "PATCH"}:
                self.body = self._read_body(request)
            return super().dispatch(request, *args, **kwargs)
        except ScimError as error:
            return error_response(error)

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        allowed = ", ".join(
            m.upper() for m in self.http_method_names if m != "options" and hasattr(self, m)
        )
        response = error_response(
            ScimError(f"{request.method} is not allowed here; use {allowed}.", status=405)
        )
        response["Allow"] = allowed
        return response

    @staticmethod
    def _authenticate(request: HttpRequest) -> ScimToken:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise ScimError(
                "Send the identity provider's token as 'Authorization: Bearer <token>' "
                "(made with manage.py scim_token create NAME).",
                status=401,
            )
        token = services.scim_token_authenticate(raw=raw.strip())
        if token is None:
            raise ScimError("This token is unknown or has been revoked.", status=401)
        return token

    @staticmethod
    def _read_body(request: HttpRequest) -> dict[str, Any]:
        if request.content_type not in ACCEPTED_CONTENT_TYPES:
            raise invalid_syntax(
                f"Send the body as application/scim+json, not {request.content_type or 'nothing'}."
            )
        try:
            raw = request.body
        except RequestDataTooBig:
            raise ScimError("The request body is too large.", status=413) from None
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise invalid_syntax(f"The body is not valid JSON: {error}.") from None
        if not isinstance(body, dict):
            raise invalid_syntax("The body must be a JSON object.")
        return body

    def base_url(self) -> str:
        return self.request.build_absolute_uri(
            reverse("scim:service-provider-config")
        ).removesuffix("ServiceProviderConfig")

    def page(self) -> tuple[int, int]:
        """``startIndex`` (1-based, below 1 read as 1) and ``count`` (capped)."""
        try:
            start = int(self.request.GET.get("startIndex", 1))
            count = int(self.request.GET.get("count", settings.SCIM_MAX_RESULTS))
        except ValueError:
            raise invalid_value("startIndex and count must be whole numbers.") from None
        return max(start, 1), min(max(count, 0), settings.SCIM_MAX_RESULTS)

    def shown(self, resource: dict[str, Any]) -> dict[str, Any]:
        return resources.select_attributes(
            resource,
            attributes=_names(self.request.GET.get("attributes", "")),
            excluded=_names(self.request.GET.get("excludedAttributes", "")),
        )


def _names(raw: str) -> list[str]:
    return [name.strip() for name in raw.split(",") if name.strip()]


class ServiceProviderConfigView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return scim_response(resources.service_provider_config(base_url=self.base_url()))


class ResourceTypesView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        found = resources.resource_types(base_url=self.base_url())
        return scim_response(resources.list_response(found, total=len(found), start_index=1))


class SchemasView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        found = resources.schemas(base_url=self.base_url())
        return scim_response(resources.list_response(found, total=len(found), start_index=1))


class UsersView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        raw_filter = request.GET.get("filter")
        users = (
            selectors.scim_users_filtered(conditions=parse_filter(raw_filter))
            if raw_filter is not None
            else selectors.scim_users()
        )
        start, count = self.page()
        window = list(users[start - 1 : start - 1 + count]) if count else []
        base = self.base_url()
        return scim_response(
            resources.list_response(
                [self.shown(resources.user_resource(u, base_url=base)) for u in window],
                total=users.count(),
                start_index=start,
            )
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        fields = attributes.user_fields_from_resource(self.body, creating=True)
        user = services.scim_user_create(token=self.token, fields=fields)
        user = selectors.scim_user_get(user_id=str(user.pk))
        response = scim_response(
            resources.user_resource(user, base_url=self.base_url()), status=201
        )
        response["Location"] = f"{self.base_url()}Users/{user.pk}"
        return response


class UserView(ScimView):
    def get(self, request: HttpRequest, user_id: str) -> HttpResponse:
        user = selectors.scim_user_get(user_id=user_id)
        return scim_response(self.shown(resources.user_resource(user, base_url=self.base_url())))

    def put(self, request: HttpRequest, user_id: str) -> HttpResponse:
        user = selectors.scim_user_get(user_id=user_id)
        fields = attributes.user_fields_from_resource(self.body, creating=False)
        return self._updated(user, fields)

    def patch(self, request: HttpRequest, user_id: str) -> HttpResponse:
        user = selectors.scim_user_get(user_id=user_id)
        fields = attributes.user_fields_from_patch(attributes.parse_operations(self.body))
        return self._updated(user, fields)

    def delete(self, request: HttpRequest, user_id: str) -> HttpResponse:
        user = selectors.scim_user_get(user_id=user_id)
        services.scim_user_delete(token=self.token, user=user)
        return scim_response(None, status=204)

    def _updated(self, user: Any, fields: attributes.UserFields) -> HttpResponse:
        services.scim_user_update(token=self.token, user=user, fields=fields)
        user = selectors.scim_user_get(user_id=str(user.pk))
        return scim_response(resources.user_resource(user, base_url=self.base_url()))


class GroupsView(ScimView):
    def get(self, request: HttpRequest) -> HttpResponse:
        raw_filter = request.GET.get("filter")
        teams = (
            selectors.scim_teams_filtered(conditions=parse_filter(raw_filter))
            if raw_filter is not None
            else selectors.scim_teams()
        )
        start, count = self.page()
        window = list(teams[start - 1 : start - 1 + count]) if count else []
        base = self.base_url()
        return scim_response(
            resources.list_response(
                [
                    self.shown(resources.group_resource(t, t.members.all(), base_url=base))
                    for t in window
                ],
                total=teams.count(),
                start_index=start,
            )
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        fields = attributes.group_fields_from_resource(self.body)
        team = services.scim_group_create(token=self.token, fields=fields)
        team = selectors.scim_team_get(team_id=str(team.pk))
        base = self.base_url()
        response = scim_response(
            resources.group_resource(team, team.members.all(), base_url=base), status=201
        )
        response["Location"] = f"{base}Groups/{team.pk}"
        return response


class GroupView(ScimView):
    def get(self, request: HttpRequest, team_id: str) -> HttpResponse:
        team = selectors.scim_team_get(team_id=team_id)
        resource = resources.group_resource(team, team.members.all(), base_url=self.base_url())
        return scim_response(self.shown(resource))

    def put(self, request: HttpRequest, team_id: str) -> HttpResponse:
        team = selectors.scim_team_get(team_id=team_id)
        fields = attributes.group_fields_from_resource(self.body)
        services.scim_group_update(token=self.token, team=team, fields=fields)
        return self.get(request, team_id)

    def patch(self, request: HttpRequest, team_id: str) -> HttpResponse:
        team = selectors.scim_team_get(team_id=team_id)
        operations = attributes.parse_operations(self.body)
        fields = attributes.group_fields_from_patch(operations, group_id=team_id)
        services.scim_group_update(token=self.token, team=team, fields=fields)
        return self.get(request, team_id)

    def delete(self, request: HttpRequest, team_id: str) -> HttpResponse:
        team = selectors.scim_team_get(team_id=team_id)
        services.scim_group_delete(token=self.token, team=team)
        return scim_response(None, status=204)
