from django.urls import path

from . import views

app_name = "chat"
urlpatterns = [
    path("chat/preferences/", views.preferences, name="preferences"),
]
