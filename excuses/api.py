"""Meeting-excuse API: employees write emails and read their own history."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.requests import AuthenticatedRequest

from . import selectors, services
from .choices import LANGUAGES, REASONS, TONES
from .mailto import mailto_url
from .models import EXCUSE_FIELDS, MEETING_TITLE_MAX, ORGANIZER_NAME_MAX, ExcuseEmail
from .throttling import seconds_until_allowed

HISTORY_LIMIT = 50
DetailSerializer = inline_serializer("ExcuseDetail", {"detail": serializers.CharField()})


class IsEmployee(permissions.IsEmployee):
    message = "Meeting-excuse emails are available to employees."


class ExcuseOutputSerializer(serializers.ModelSerializer):
    mailto = serializers.SerializerMethodField()

    class Meta:
        model = ExcuseEmail
        fields = [*EXCUSE_FIELDS, "mailto"]

    def get_mailto(self, obj: ExcuseEmail) -> str:
        return mailto_url(subject=obj.subject, body=obj.body)


class ExcuseListCreateApi(APIView):
    """Employees only. GET: own history (newest first). POST: write a new email (rate-limited
    per user, shared with the page). DELETE: erase own history."""

    permission_classes = [IsAuthenticated, IsEmployee]

    class ExcuseInputSerializer(serializers.Serializer):
        meeting_title = serializers.CharField(max_length=MEETING_TITLE_MAX)
        organizer_name = serializers.CharField(max_length=ORGANIZER_NAME_MAX)
        meeting_time = serializers.DateTimeField(required=False, allow_null=True, default=None)
        reason = serializers.ChoiceField(choices=list(REASONS))
        tone = serializers.ChoiceField(choices=list(TONES))
        propose_alternative = serializers.DateTimeField(
            required=False, allow_null=True, default=None
        )
        offer_async_update = serializers.BooleanField(required=False, default=True)
        language = serializers.ChoiceField(choices=list(LANGUAGES), required=False, default="en")
        seed = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=0, max_value=2**48
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            errors = services.time_errors(
                meeting_time=attrs.get("meeting_time"),
                propose_alternative=attrs.get("propose_alternative"),
            )
            if errors:
                raise serializers.ValidationError(errors)
            return attrs

    @extend_schema(responses={200: ExcuseOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        emails = selectors.excuse_history_for(user=request.user, limit=HISTORY_LIMIT)
        return Response(ExcuseOutputSerializer(emails, many=True).data)

    @extend_schema(
        request=ExcuseInputSerializer,
        responses={201: ExcuseOutputSerializer, 400: DetailSerializer, 429: DetailSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        # Naive times mean the employee's own clock.
        with timezone.override(request.user.time_zone or None):
            serializer = self.ExcuseInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
        # Counted after validation, so a typo does not use up the allowance.
        wait = seconds_until_allowed(request)
        if wait is not None:
            raise Throttled(
                wait=wait, detail="You have written many emails in a short time; try again later."
            )
        try:
            email = services.excuse_create(
                user=request.user,
                excuse_request=services.ExcuseRequest(**serializer.validated_data),
            )
        except services.ExcuseInputError as exc:
            raise serializers.ValidationError(exc.errors) from exc
        return Response(ExcuseOutputSerializer(email).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest) -> Response:
        services.excuse_history_clear(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExcuseSuggestionApi(APIView):
    """Employees only: the reason suggested by today's FlowScore and today's meeting hours from
    the connected calendar (the employee decides)."""

    permission_classes = [IsAuthenticated, IsEmployee]

    @extend_schema(
        responses={
            200: inline_serializer(
                "ExcuseSuggestion",
                {
                    "reason": serializers.CharField(allow_null=True),
                    "flow_score": serializers.FloatField(allow_null=True),
                    "meeting_hours": serializers.FloatField(allow_null=True),
                },
            )
        }
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        suggestion = selectors.suggested_reason_for(user=request.user)
        return Response(
            {
                "reason": suggestion.reason,
                "flow_score": suggestion.flow_score,
                "meeting_hours": suggestion.meeting_hours,
            }
        )
