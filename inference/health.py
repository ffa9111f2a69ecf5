"""Model health for /healthz: each kind's active model and the bundled speech detector."""


def models_status() -> dict:
    from inference import vad
    from inference.runtime import describe_active_models

    models = {**describe_active_models(), "vad": vad.status()}
    return {"ok": all(m["ok"] for m in models.values()), **models}
