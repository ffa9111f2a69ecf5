from django.urls import path

from . import api

app_name = "teams-api"
urlpatterns = [
    path("teams/<int:team_id>/heatmap/", api.TeamHeatmapApi.as_view(), name="heatmap"),
    path("me/privacy/", api.MyPrivacyApi.as_view(), name="my-privacy"),
]
