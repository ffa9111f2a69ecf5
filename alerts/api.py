"""Alerts API: list the alerts the caller may see; managers acknowledge team alerts."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest

from . import selectors
from .models import BurnoutAlert
from .services.acknowledgement import alert_acknowledge

LIST_LIMIT = 200
STATUS_FILTERS: dict[str, list[str]] = {
    "active": list(BurnoutAlert.ACTIVE_STATUSES),
    "open": [BurnoutAlert.Status.OPEN],
    "acknowledged": [BurnoutAlert.Status.ACKNOWLEDGED],
    "resolved": [BurnoutAlert.Status.RESOLVED],
    "all": [],
}

DetailSerializer = inline_serializer("AlertDetail", {"detail": serializers.CharField()})


class AlertOutputSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", default=None, read_only=True)
    rule_label = serializers.CharField(source="get_rule_display", read_only=True)
    guidance = serializers.CharField(read_only=True)
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = BurnoutAlert
        fields = [
            "id",
            "scope",
            "team",
            "team_name",
            "rule",
            "rule_label",
            "severity",
            "message",
            "guidance",
            "snapshot",
            "window_start",
            "window_end",
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_at",
            "created_at",
            "updated_at",
        ]

    def get_acknowledged_by(self, obj: BurnoutAlert) -> str | None:
        return obj.acknowledged_by.get_username() if obj.acknowledged_by else None


class AlertListApi(APIView):
    """Employees: their own individual alerts. Managers: alerts of the teams they manage (never
    an individual alert of someone else). Admins: every alert. Newest 200, most urgent first."""

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=list(STATUS_FILTERS), default="active")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(STATUS_FILTERS), description="default active")
        ],
        responses={200: AlertOutputSerializer(many=True), 400: DetailSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        statuses = STATUS_FILTERS[filters.validated_data["status"]]
        alerts = selectors.alerts_visible_to(user=request.user, statuses=statuses)[:LIST_LIMIT]
        return Response(AlertOutputSerializer(alerts, many=True).data)


class AlertAcknowledgeApi(APIView):
    """Managers of the team (and admins) acknowledge a team alert. 404 for alerts the caller
    cannot see, 403 for visible alerts they may not acknowledge, 409 once resolved."""

    @extend_schema(
        request=None,
        responses={
            200: AlertOutputSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: DetailSerializer,
        },
    )
    def post(self, request: AuthenticatedRequest, alert_id: int) -> Response:
        alert = selectors.alert_for_acknowledge(user=request.user, alert_id=alert_id)
        if alert is None:
            raise NotFound("No such alert.")
        alert = alert_acknowledge(alert=alert, user=request.user)
        return Response(AlertOutputSerializer(alert).data)
