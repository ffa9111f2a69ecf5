from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .api_reference import api_reference

api_v1 = [
    path("auth/", include("accounts.api_urls")),
    path("", include("metrics.api_urls")),
    path("", include("teams.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include("excuses.api_urls")),
    path("", include("calendars.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("", include("metrics.urls")),
    path("", include("teams.urls")),
    path("", include("alerts.urls")),
    path("", include("excuses.urls")),
    path("", include("sso.urls")),
    path("", include("provisioning.urls")),
    path("", include("chat.urls")),
    path("", include("calendars.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/reference/", api_reference, name="api-reference"),
]

handler400 = "resonance.views.bad_request"
handler403 = "resonance.views.permission_denied"
handler404 = "resonance.views.not_found"
handler500 = "resonance.views.server_error"
