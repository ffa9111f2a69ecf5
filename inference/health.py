"""Model health for /healthz: the active model of each kind the signal profile needs, and the
bundled models its pipelines use (face models for photos; speech detector and voice encoder
for voice clips, only where the profile reads voice)."""

from typing import Any

from inference import face, vad, voice_features
from inference.runtime import describe_active_models
from resonance import indicators


def models_status() -> dict[str, Any]:
    models = describe_active_models()
    if indicators.needs_media("audio"):
        models["vad"] = vad.status()
    if indicators.needs_media("image"):
        models["face"] = face.status()
    if indicators.needs_media("audio"):
        models["voice_encoder"] = voice_features.status()
    return {"ok": all(m["ok"] for m in models.values()), **models}
