"""Check-in API: submit (202), poll, list own check-ins, own daily metrics. Employees only."""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, UnsupportedMediaType
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from resonance import indicators

from . import on_device, selectors
from .models import CheckIn, DailyMetric
from .permissions import IsEmployee
from .services import idempotency, submission
from .throttles import (
    CheckinSubmitThrottle,
    DeviceCheckinThrottle,
    PhotoCheckThrottle,
    is_json,
)
from .uploads import install_size_limit

LIST_LIMIT = 100


class ActiveIndicatorsMixin(serializers.Serializer):
    """Leaves out the fields of indicators the active profile does not compute."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for indicator in indicators.inactive():
            fields.pop(indicator.key, None)
        return fields


def _number_field(indicator: indicators.Indicator) -> serializers.Field:
    if indicator.integer:
        return serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=int(indicator.low),
            max_value=int(indicator.high),
        )
    return serializers.FloatField(
        required=False, allow_null=True, min_value=indicator.low, max_value=indicator.high
    )


class CheckinOutputSerializer(ActiveIndicatorsMixin, serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    coach_message = serializers.SerializerMethodField()

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "status",
            "status_url",
            "created_at",
            "local_date",
            "scored_at",
            *(i.key for i in indicators.INDICATORS if i.stored == indicators.Stored.SELF_REPORT),
            *indicators.all_score_keys(),
            "coach_message",
            "burst",
            "model_versions",
            "source",
            "failure_reason",
            "attempts",
        ]

    def get_status_url(self, obj: CheckIn) -> str:
        return reverse("metrics-api:sync-detail", args=[obj.pk])

    def get_coach_message(self, obj: CheckIn) -> str:
        return selectors.checkin_coach_message(obj)


class DailyMetricOutputSerializer(ActiveIndicatorsMixin, serializers.ModelSerializer):
    class Meta:
        model = DailyMetric
        fields = [
            "date",
            *indicators.all_score_keys(),
            "checkin_count",
            "meeting_count",
            "coach_message",
        ]


class CheckinAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_url = serializers.CharField()


class _NumbersSerializer(serializers.Serializer):
    """The self-reported numbers the active profile asks for, with their declared ranges."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.update({i.key: _number_field(i) for i in indicators.self_reports()})
        return fields


class DeviceScoresSerializer(serializers.Serializer):
    """One score in [0, 1] per indicator a device may compute (the service refuses those the
    active profile leaves out, with a message)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for indicator in indicators.INDICATORS:
            if indicator.on_device:
                fields[indicator.key] = _number_field(indicator)
        return fields


class ModelVersionEchoSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64)
    digest = serializers.CharField(max_length=64)


class BurstSummarySerializer(serializers.Serializer):
    """What a burst of frames showed, as ``inference.burst.BurstEstimate.summary`` reports it."""

    frames = serializers.IntegerField(min_value=1, max_value=24)
    frames_refused = serializers.IntegerField(min_value=0, max_value=24)
    eye_closure_fraction = serializers.FloatField(min_value=0, max_value=1)
    yawn_fraction = serializers.FloatField(min_value=0, max_value=1)
    blinks = serializers.IntegerField(min_value=0, max_value=24)
    longest_closure_frames = serializers.IntegerField(min_value=0, max_value=24)


class DeviceCheckinInputSerializer(_NumbersSerializer):
    """Private mode: the scores the browser computed, instead of media."""

    scores = DeviceScoresSerializer()
    model_versions = serializers.DictField(child=ModelVersionEchoSerializer())
    burst = BurstSummarySerializer(required=False)


class CheckinSubmitInputSerializer(_NumbersSerializer):
    image = serializers.FileField(required=False, allow_empty_file=True)
    frames = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text="A burst instead of one photo: 3-24 frames a few tenths of a second apart, "
        "in order (repeat the field); scored for eye closure over time.",
    )
    audio = serializers.FileField(required=False, allow_empty_file=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("image") and not attrs.get("audio") and not attrs.get("frames"):
            raise serializers.ValidationError(submission.media_request_message())
        return attrs


MEDIA_LABELS = {"image": "the face image", "audio": "the voice clip"}


def ignored_media_notice(ignored: list[str]) -> str:
    names = " and ".join(MEDIA_LABELS[m] for m in ignored)
    verb, pronoun = ("were", "them") if len(ignored) > 1 else ("was", "it")
    return (
        f"{names[0].upper()}{names[1:]} {verb} not read or stored: this organisation's signal "
        f"profile ({indicators.profile()!r}) does not use {pronoun}."
    )


class SyncApi(APIView):
    """``POST``: submit a check-in (multipart); ``GET``: the caller's own check-ins."""

    permission_classes = [IsEmployee]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [CheckinSubmitThrottle, DeviceCheckinThrottle]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before DRF reads the body, so oversized files are refused while they stream in.
        if request.method == "POST":
            install_size_limit(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={
            "multipart/form-data": CheckinSubmitInputSerializer,
            "application/json": DeviceCheckinInputSerializer,
        },
        responses={202: CheckinAcceptedSerializer, 201: CheckinOutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="8 to 64 letters, digits or . _ : ~ - (a UUID will do): the same "
                "key within 24 hours answers with the first check-in instead of making another.",
            )
        ],
        description="Multipart with media: stored and scored by a worker (202). JSON with "
        "`scores` and `model_versions` (private mode): recorded as scored (201); 409 when the "
        "models changed since the manifest was read.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        key = idempotency.clean_idempotency_key(request.headers.get("Idempotency-Key"))
        first = idempotency.checkin_replayed(user=request.user, idempotency_key=key)
        if first is not None:
            return self._replayed(first)
        if is_json(request):
            return self._post_device_scores(request, idempotency_key=key)
        serializer = CheckinSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ignored = submission.unused_media(
            image=data.get("image"), frames=data.get("frames") or (), audio=data.get("audio")
        )
        checkin = submission.checkin_submit(user=request.user, idempotency_key=key, **data)
        body = CheckinOutputSerializer(checkin).data
        answer: dict[str, Any] = {
            "id": checkin.pk,
            "status": checkin.status,
            "status_url": body["status_url"],
        }
        if ignored:
            answer["ignored"] = ignored
            answer["notice"] = ignored_media_notice(ignored)
        return Response(
            answer, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]}
        )

    @staticmethod
    def _replayed(checkin: CheckIn) -> Response:
        """The answer to a repeated Idempotency-Key: the check-in the first request stored."""
        body = CheckinOutputSerializer(checkin).data
        if checkin.source == CheckIn.Source.DEVICE:
            return Response(
                _checkin_with_day(checkin),
                status=status.HTTP_201_CREATED,
                headers={"Idempotent-Replayed": "true"},
            )
        answer = {"id": checkin.pk, "status": checkin.status, "status_url": body["status_url"]}
        return Response(
            answer,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": body["status_url"], "Idempotent-Replayed": "true"},
        )

    def _post_device_scores(
        self, request: AuthenticatedRequest, *, idempotency_key: str
    ) -> Response:
        if not isinstance(request.data, dict) or "scores" not in request.data:
            raise UnsupportedMediaType(
                request.content_type,
                detail="Send photos and voice clips as multipart/form-data; a JSON body is for "
                "check-ins scored on the device and carries 'scores' and 'model_versions'.",
            )
        serializer = DeviceCheckinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        scores = data.pop("scores")
        checkin = on_device.checkin_record_device_scores(
            user=request.user,
            scores=on_device.DeviceScores(
                values=dict(scores),
                model_versions={k: dict(v) for k, v in data.pop("model_versions").items()},
                burst=dict(data.pop("burst")) if data.get("burst") else None,
            ),
            idempotency_key=idempotency_key,
            **data,
        )
        # With the day so far, as the status of a check-in scored on the server has it.
        return Response(_checkin_with_day(checkin), status=status.HTTP_201_CREATED)

    @extend_schema(responses=CheckinOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        checkins = selectors.checkins_for(user=request.user)[:LIST_LIMIT]
        return Response(CheckinOutputSerializer(checkins, many=True).data)


class PhotoCheckOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class PhotoCheckApi(APIView):
    """``POST`` a photo (multipart ``image``): would the check-in accept it? Stores nothing.

    200 when it passes the photo gate; 400 with a message that says how to retake it (no face,
    several faces, too small, too dark or bright, blurred), 413/415 as for a check-in.
    """

    permission_classes = [IsEmployee]
    parser_classes = [MultiPartParser]
    throttle_classes = [PhotoCheckThrottle]

    class InputSerializer(serializers.Serializer):
        image = serializers.FileField(allow_empty_file=True)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        install_size_limit(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={200: PhotoCheckOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission.checkin_photo_check(image=serializer.validated_data["image"])
        return Response({"ok": True, "detail": "The photo is good: one clear face."})


def _checkin_with_day(checkin: CheckIn) -> dict:
    """A check-in's status and scores, with its day so far (``day``: the daily metric)."""
    data = dict(CheckinOutputSerializer(checkin).data)
    day = selectors.daily_metric_for_checkin(checkin=checkin)
    data["day"] = DailyMetricOutputSerializer(day).data if day else None
    return data


class SyncDetailApi(APIView):
    """Status and scores of one of the caller's own check-ins (others' ids answer 404)."""

    permission_classes = [IsEmployee]

    @extend_schema(responses=CheckinOutputSerializer)
    def get(self, request: AuthenticatedRequest, checkin_id: int) -> Response:
        checkin = selectors.checkin_for(user=request.user, checkin_id=checkin_id)
        if checkin is None:
            raise NotFound("No check-in of yours has this id.")
        return Response(_checkin_with_day(checkin))


class MyMetricsApi(APIView):
    """The caller's own daily metrics, ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both optional)."""

    permission_classes = [IsEmployee]

    class MyMetricsFilterSerializer(serializers.Serializer):
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if (
                attrs.get("date_from")
                and attrs.get("date_to")
                and attrs["date_from"] > attrs["date_to"]
            ):
                raise serializers.ValidationError("'from' must not be after 'to'.")
            return attrs

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)"),
        ],
        responses=DailyMetricOutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        params = {}
        if "from" in request.query_params:
            params["date_from"] = request.query_params["from"]
        if "to" in request.query_params:
            params["date_to"] = request.query_params["to"]
        filters = self.MyMetricsFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        rows = selectors.daily_metrics_for(user=request.user, **filters.validated_data)
        return Response(DailyMetricOutputSerializer(rows, many=True).data)


class DeviceManifestApi(APIView):
    """``GET``: what this employee's browser needs to score a check-in itself (private mode):
    the mode, ONNX Runtime Web, and per kind the active model's version, digest, sidecar and
    the URLs of every ONNX file it runs."""

    permission_classes = [IsEmployee]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(on_device.device_manifest(user=request.user))
