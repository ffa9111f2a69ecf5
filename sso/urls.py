"""Only django-allauth's OpenID Connect login and callback are mounted, under fixed paths:
its sign-up, password and email pages would be ways around the product's own sign-in."""

from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.urls import path

# allauth reverses these names (unnamespaced) with the provider id.
_provider = {"provider_id": settings.OIDC_PROVIDER_ID}

urlpatterns = [
    path("sso/login/", oidc_views.login, _provider, name="openid_connect_login"),
    path("sso/callback/", oidc_views.callback, _provider, name="openid_connect_callback"),
]
