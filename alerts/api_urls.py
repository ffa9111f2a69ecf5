from django.urls import path

from . import api

app_name = "alerts-api"
urlpatterns = [
    path("alerts/", api.AlertListApi.as_view(), name="list"),
    path(
        "alerts/<int:alert_id>/acknowledge/",
        api.AlertAcknowledgeApi.as_view(),
        name="acknowledge",
    ),
]
