"""API: one team's published heatmap cells (that team's managers, and admins)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from resonance.exceptions import DomainError

from .cells import metrics
from .params import BadParameter, parse_date_range, parse_metric
from .selectors import dashboard_rows, team_day_aggregates, team_for_dashboard


class HeatmapCellSerializer(serializers.Serializer):
    date = serializers.DateField()
    status = serializers.ChoiceField(
        choices=["published", "suppressed", "budget", "unpublished"],
        help_text="unpublished: the day has not closed for every member yet.",
    )
    value = serializers.FloatField(allow_null=True, help_text="Published (noised) team mean.")
    suppressed = serializers.BooleanField()
    rolling_mean_7d = serializers.FloatField(allow_null=True)
    participation = serializers.CharField(help_text='A band such as "50-74%"; empty if none.')
    contributors = serializers.CharField(help_text='A band such as "5-9 people".')
    note = serializers.CharField()


class HeatmapTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = serializers.IntegerField()


class HeatmapOutputSerializer(serializers.Serializer):
    team = HeatmapTeamSerializer()
    metric = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    min_group_size = serializers.IntegerField()
    cells = HeatmapCellSerializer(many=True)


class TeamHeatmapApi(APIView):
    """Who: managers of the team and admins. Employees and other managers get 403."""

    class InputSerializer(serializers.Serializer):
        # Strings here; parse_date_range gives one readable message for every date problem.
        metric = serializers.CharField(default="flow_score")

        def validate_metric(self, value: str) -> str:
            try:
                return parse_metric(value)
            except BadParameter as exc:
                raise serializers.ValidationError(str(exc)) from None

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="First day (YYYY-MM-DD)"),
            OpenApiParameter("to", str, description="Last day (YYYY-MM-DD), default today"),
            OpenApiParameter("metric", str, enum=list(metrics())),
        ],
        responses=HeatmapOutputSerializer,
    )
    def get(self, request: AuthenticatedRequest, team_id: int) -> Response:
        team = team_for_dashboard(user=request.user, team_id=team_id)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        metric = params.validated_data["metric"]
        try:
            date_from, date_to = parse_date_range(
                request.query_params.get("from"), request.query_params.get("to")
            )
        except BadParameter as exc:
            raise DomainError(str(exc), code="bad_range") from None
        aggregates = team_day_aggregates(
            user=request.user, date_from=date_from, date_to=date_to, team_ids=[team.pk]
        )
        team_info = aggregates.teams[0]
        payload = {
            "team": {"id": team_info.id, "name": team_info.name, "members": team_info.members},
            "metric": metric,
            "date_from": date_from,
            "date_to": date_to,
            "min_group_size": aggregates.k,
            "cells": dashboard_rows(aggregates, metric=metric),
        }
        return Response(HeatmapOutputSerializer(payload).data)
