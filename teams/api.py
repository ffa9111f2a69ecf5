"""API: one team's published heatmap cells (that team's managers, and admins)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsEmployee
from accounts.requests import AuthenticatedRequest
from audit.models import AccessEvent
from audit.services import record_access
from resonance.db_router import replica_reads
from resonance.exceptions import DomainError

from .cells import metric_period, metrics
from .params import BadParameter, parse_date_range, parse_metric, parse_month
from .publication import budget_summary, person_budget
from .selectors import dashboard_rows, team_day_aggregates, team_for_dashboard


class HeatmapCellSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The first day of the period the cell covers.")
    period = serializers.ChoiceField(
        choices=["day", "week", "month"],
        help_text="FlowScore and participation are published weekly, the components monthly.",
    )
    status = serializers.ChoiceField(
        choices=["published", "suppressed", "budget", "unpublished"],
        help_text="unpublished: the day has not closed for every member yet.",
    )
    value = serializers.FloatField(allow_null=True, help_text="Published (noised) team mean.")
    suppressed = serializers.BooleanField()
    rolling_mean = serializers.FloatField(
        allow_null=True, help_text="The mean of the last four published periods."
    )
    participation = serializers.CharField(help_text='A band such as "50-74%"; empty if none.')
    contributors = serializers.CharField(help_text='A band such as "5-9 people".')
    note = serializers.CharField()


class HeatmapTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = serializers.CharField(
        help_text='The roster as a noisy band ("10-19 people"), published monthly.'
    )


class HeatmapOutputSerializer(serializers.Serializer):
    team = HeatmapTeamSerializer()
    metric = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    period = serializers.CharField()
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
        with replica_reads():
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
        with replica_reads():
            aggregates = team_day_aggregates(
                user=request.user,
                date_from=date_from,
                date_to=date_to,
                team_ids=[team.pk],
                period=metric_period(metric),
            )
        team_info = aggregates.teams[0]
        record_access(
            actor=request.user,
            action=AccessEvent.Action.HEATMAP_API,
            team_ids=[team_info.id],
            detail=f"{metric}, {date_from} to {date_to}",
        )
        payload = {
            "team": {"id": team_info.id, "name": team_info.name, "members": team_info.members},
            "metric": metric,
            "period": aggregates.period,
            "date_from": date_from,
            "date_to": date_to,
            "min_group_size": aggregates.k,
            "cells": dashboard_rows(aggregates, metric=metric),
        }
        return Response(HeatmapOutputSerializer(payload).data)


class MyPrivacyOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    epsilon_month = serializers.FloatField(help_text="Epsilon spent on you in the month.")
    epsilon_year = serializers.FloatField(help_text="Epsilon spent on you in the month's year.")
    cap_month = serializers.FloatField()
    cap_year = serializers.FloatField()
    releases_month = serializers.IntegerField(help_text="Published figures that used your data.")
    summary = serializers.CharField(help_text="What it means, in plain words.")


class MyPrivacyApi(APIView):
    """The caller's privacy budget: what the published team figures spent on them in a month
    (``?month=YYYY-MM``, default this month) and in its year. Employees only."""

    permission_classes = [IsEmployee]

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM, default this month")],
        responses=MyPrivacyOutputSerializer,
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        raw = request.query_params.get("month")
        try:
            month = parse_month(raw) if raw else timezone.localdate().replace(day=1)
        except BadParameter as exc:
            raise DomainError(str(exc), code="bad_month") from None
        budget = person_budget(request.user.pk, month=month)
        payload = {
            "month": f"{budget.month:%Y-%m}",
            "epsilon_month": budget.epsilon_month,
            "epsilon_year": budget.epsilon_year,
            "cap_month": budget.cap_month,
            "cap_year": budget.cap_year,
            "releases_month": budget.releases_month,
            "summary": budget_summary(budget),
        }
        return Response(MyPrivacyOutputSerializer(payload).data)
