from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export.csv", views.dashboard_csv, name="dashboard-csv"),
]
