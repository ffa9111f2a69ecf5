from django.urls import path

from . import views

app_name = "metrics"
urlpatterns = [
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/<int:checkin_id>/", views.checkin_detail, name="checkin-detail"),
    path("me/trends/", views.trends, name="trends"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/data/consent/", views.my_consent, name="my-consent"),
    path("me/data/export.json", views.my_data_export_json, name="my-data-json"),
    path("me/data/export.csv", views.my_data_export_csv, name="my-data-csv"),
    path("me/data/erase/", views.my_data_erase, name="my-data-erase"),
    path("me/data/on-device/", views.my_on_device_choice, name="my-on-device"),
    path("device/models/<str:sha256>.onnx", views.device_model, name="device-model"),
]
