from django.urls import path

from . import api

app_name = "excuses-api"
urlpatterns = [
    path("excuses/", api.ExcuseListCreateApi.as_view(), name="excuses"),
    path("excuses/suggestion/", api.ExcuseSuggestionApi.as_view(), name="suggestion"),
]
