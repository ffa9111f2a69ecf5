from django.urls import path

from . import views

app_name = "calendars"
urlpatterns = [
    path("me/calendar/", views.my_calendar, name="my-calendar"),
    path("me/calendar/disconnect/", views.my_calendar_disconnect, name="my-calendar-disconnect"),
]
