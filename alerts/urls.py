from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("alerts/preferences/", views.preferences, name="preferences"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]
