"""Model health for /healthz: each kind's active model, the bundled speech detector, the
bundled face models and the bundled voice encoder."""

from inference import face, vad, voice_features
from inference.runtime import describe_active_models


def models_status() -> dict:
    models = {
        **describe_active_models(),
        "vad": vad.status(),
        "face": face.status(),
        "voice_encoder": voice_features.status(),
    }
    return {"ok": all(m["ok"] for m in models.values()), **models}
