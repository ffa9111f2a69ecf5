"""``manage.py check`` warns when a kind has no usable active model or the speech detector,
the face models or the voice encoder are missing or altered."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connection

from inference import device, face, vad, voice_features
from inference.models import ModelVersion
from inference.runtime import describe_active_models
from resonance import indicators

# What Django passes a system check: the apps to check, or None for all of them.
AppConfigs = Sequence[AppConfig] | None


@register(Tags.models)
def check_active_models(app_configs: AppConfigs = None, **kwargs: Any) -> list[Warning]:
    try:
        migrated = ModelVersion._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        migrated = False
    if not migrated:
        # Before the first migrate there is no registry to inspect; migrate creates it.
        return []
    return [
        Warning(
            f"No usable {kind} model: {status['error']}.",
            hint="Run 'manage.py setup_models' (bundled models) or "
            "'manage.py register_model PATH --activate'; check-ins fail until then.",
            obj=f"inference.{kind}",
            id="inference.W001",
        )
        for kind, status in describe_active_models().items()
        if not status["ok"]
    ]


@register(Tags.models)
def check_speech_detector(app_configs: AppConfigs = None, **kwargs: Any) -> list[Warning]:
    if not indicators.needs_media("audio"):
        return []  # the signal profile reads no voice
    status = vad.status()
    if status["ok"]:
        return []
    return [
        Warning(
            f"The voice-activity model ({vad.SOURCE}) is unusable: {status['error']}.",
            hint="Restore models/vad/silero_vad.onnx as models/vad/README.md describes, or point "
            "VAD_MODEL_PATH at it; every voice clip is refused until then.",
            obj="inference.vad",
            id="inference.W002",
        )
    ]


@register(Tags.models)
def check_face_models(app_configs: AppConfigs = None, **kwargs: Any) -> list[Warning]:
    return [
        Warning(
            f"The face models are unusable: {problem}",
            hint="Restore models/face/ (manage.py convert_face_models --wheel ..., see the "
            "docs/models.md) or point FACE_MODELS_DIR at it; every photo is refused until then.",
            obj="inference.face",
            id="inference.W003",
        )
        for problem in face.check_face_models()
    ]


@register(Tags.models)
def check_voice_encoder(app_configs: AppConfigs = None, **kwargs: Any) -> list[Warning]:
    if not indicators.needs_media("audio"):
        return []
    status = voice_features.status()
    if status["ok"]:
        return []
    return [
        Warning(
            f"The voice encoder is unusable: {status['error']}",
            hint="Restore models/voice_encoder/ (manage.py convert_voice_encoder --wheel ..., "
            "see docs/models.md) or point VOICE_ENCODER_DIR at it; voice models that use it "
            "cannot score until then.",
            obj="inference.voice_encoder",
            id="inference.W004",
        )
    ]


@register(Tags.models)
def check_browser_runtime(app_configs: AppConfigs = None, **kwargs: Any) -> list[Warning]:
    if settings.PRIVATE_MODE == "off" or device.runtime_dir() is not None:
        return []
    return [
        Warning(
            f"PRIVATE_MODE={settings.PRIVATE_MODE} but ONNX Runtime Web is not in static/.",
            hint="Run `npm ci && scripts/vendor_browser_runtime.sh` (./run.sh setup does); "
            "until then the check-in page cannot score on the device.",
            obj="inference.device",
            id="inference.W005",
        )
    ]
