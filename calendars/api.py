"""``/api/v1/me/calendar/``: an employee connects, reads the status of and disconnects their
own calendar. Employees only (JWT or session)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.requests import AuthenticatedRequest

from . import selectors, services
from .models import CalendarConnection

URL_MAX = 2000


class IsEmployee(permissions.IsEmployee):
    message = "Calendars are connected by employees, each their own."


class CalendarStatusSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=CalendarConnection.Kind.choices, required=False)
    host = serializers.CharField(required=False)
    username = serializers.CharField(required=False)
    connected_at = serializers.DateTimeField(required=False)
    last_synced_at = serializers.DateTimeField(required=False, allow_null=True)
    last_error = serializers.CharField(required=False, allow_blank=True)
    last_error_at = serializers.DateTimeField(required=False, allow_null=True)
    days_stored = serializers.IntegerField()


class CalendarConnectInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CalendarConnection.Kind.choices)
    url = serializers.CharField(max_length=URL_MAX)
    username = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    password = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", write_only=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == CalendarConnection.Kind.CALDAV and not (
            attrs["username"] and attrs["password"]
        ):
            raise serializers.ValidationError(
                "A CalDAV account needs its user name and password (or app password)."
            )
        if attrs["kind"] == CalendarConnection.Kind.ICS and (
            attrs["username"] or attrs["password"]
        ):
            raise serializers.ValidationError(
                "An ICS subscription URL takes no user name or password: leave them out."
            )
        return attrs


class MyCalendarApi(APIView):
    """``GET``: whether a calendar is connected (never its password or full address).
    ``PUT``: connect (reads it once: a calendar that cannot be read is a 400 with the reason,
    and nothing is stored). ``DELETE``: disconnect (the days read so far stay until erased)."""

    permission_classes = [IsEmployee]

    @extend_schema(responses=CalendarStatusSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        data = selectors.calendar_status(user=request.user)
        return Response(CalendarStatusSerializer(data).data)

    @extend_schema(request=CalendarConnectInputSerializer, responses=CalendarStatusSerializer)
    def put(self, request: AuthenticatedRequest) -> Response:
        payload = CalendarConnectInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.calendar_connect(
            user=request.user, credentials=services.CalendarCredentials(**payload.validated_data)
        )
        data = selectors.calendar_status(user=request.user)
        return Response(CalendarStatusSerializer(data).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest) -> Response:
        services.calendar_disconnect(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
