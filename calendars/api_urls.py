from django.urls import path

from . import api

app_name = "calendars-api"
urlpatterns = [
    path("me/calendar/", api.MyCalendarApi.as_view(), name="my-calendar"),
]
