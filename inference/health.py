"""Model health for /healthz and ``manage.py check``."""


def models_status() -> dict:
    from inference.runtime import describe_active_models

    models = describe_active_models()
    return {"ok": all(m["ok"] for m in models.values()), **models}
