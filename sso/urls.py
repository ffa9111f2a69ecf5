"""Only django-allauth's sign-in routes are mounted, under fixed paths: the OpenID Connect
login and callback, and SAML's login, ACS, SP metadata and single logout. Its sign-up,
password and email pages would be ways around the product's own sign-in."""

import re
from collections.abc import Callable

from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, path, register_converter
from django.urls.resolvers import RoutePattern

from . import views

# allauth reverses these names (unnamespaced) with the provider id.
_provider = {"provider_id": settings.OIDC_PROVIDER_ID}


class _SamlAppSlug:
    """Matches the configured SAML app's slug only (an unknown one would 404 in allauth too)."""

    regex = re.escape(settings.SAML_APP_SLUG)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_SamlAppSlug, "saml_app")


class _SamlRoute(RoutePattern):
    """allauth reverses the SAML names with the slug as a positional argument, so the route
    keeps it as a parameter; it reads (in URL listings) as the one path it matches."""

    def __init__(self, endpoint: str, *, name: str) -> None:
        super().__init__(f"sso/saml/<saml_app:organization_slug>/{endpoint}", name, True)
        self.path = f"sso/saml/{settings.SAML_APP_SLUG}/{endpoint}"

    def __str__(self) -> str:
        return self.path


def _saml(endpoint: str, view: Callable[..., HttpResponse], name: str) -> URLPattern:
    return URLPattern(_SamlRoute(endpoint, name=name), view, name=name)


urlpatterns = [
    path("sso/login/", oidc_views.login, _provider, name="openid_connect_login"),
    path("sso/callback/", oidc_views.callback, _provider, name="openid_connect_callback"),
    _saml("login/", views.saml_login, "saml_login"),
    # The IdP posts the Response here; allauth keeps it and redirects to acs/finish/, where
    # the session cookie (SameSite=Lax) is sent again.
    _saml("acs/", views.saml_acs, "saml_acs"),
    _saml("acs/finish/", views.saml_finish_acs, "saml_finish_acs"),
    _saml("metadata/", views.saml_metadata, "saml_metadata"),
    _saml("sls/", views.saml_sls, "saml_sls"),
]
