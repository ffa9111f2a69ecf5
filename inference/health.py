"""Model health for /healthz: each kind's active model, the bundled speech detector and the
bundled face models."""


def models_status() -> dict:
    from inference import face, vad
    from inference.runtime import describe_active_models

    models = {**describe_active_models(), "vad": vad.status(), "face": face.status()}
    return {"ok": all(m["ok"] for m in models.values()), **models}
