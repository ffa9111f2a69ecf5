from django.urls import path

from . import api

app_name = "metrics-api"
urlpatterns = [
    path("sync/", api.SyncApi.as_view(), name="sync"),
    path("sync/photo-check/", api.PhotoCheckApi.as_view(), name="photo-check"),
    path("sync/<int:checkin_id>/", api.SyncDetailApi.as_view(), name="sync-detail"),
    path("me/metrics/", api.MyMetricsApi.as_view(), name="my-metrics"),
    path("device/manifest/", api.DeviceManifestApi.as_view(), name="device-manifest"),
]
