from collections.abc import Callable

from django.http import HttpResponseBase
from django.urls import URLPattern, re_path

from . import views

app_name = "scim"


def _scim(route: str, view: Callable[..., HttpResponseBase], name: str) -> URLPattern:
    """``/scim/v2/<route>``, also with a trailing slash or a doubled one after ``v2``: an
    identity provider given the base URL with a trailing slash appends ``/Users`` to it."""
    return re_path(rf"^scim/v2/+{route}/?$", view, name=name)


urlpatterns = [
    _scim(
        "ServiceProviderConfig",
        views.ServiceProviderConfigView.as_view(),
        "service-provider-config",
    ),
    _scim("ResourceTypes", views.ResourceTypesView.as_view(), "resource-types"),
    _scim("Schemas", views.SchemasView.as_view(), "schemas"),
    _scim("Users", views.UsersView.as_view(), "users"),
    _scim(r"Users/(?P<user_id>[^/]+)", views.UserView.as_view(), "user"),
    _scim("Groups", views.GroupsView.as_view(), "groups"),
    _scim(r"Groups/(?P<team_id>[^/]+)", views.GroupView.as_view(), "group"),
]
