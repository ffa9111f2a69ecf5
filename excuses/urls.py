from django.urls import path

from . import views

app_name = "excuses"
urlpatterns = [
    path("excuses/", views.page, name="page"),
    path("excuses/history/clear/", views.clear_history, name="clear-history"),
]
