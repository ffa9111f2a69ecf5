"""/healthz tells anyone what is wrong in words an operator can act on, and only signed-in
admins the raw error."""

from resonance.views import BROKER_DOWN


def test_a_broker_that_does_not_answer_is_named_without_internals(
    client, admin_user, tiny_models, settings
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    anonymous = client.get("/healthz")
    client.force_login(admin_user)
    admin = client.get("/healthz").json()["broker"]

    assert anonymous.status_code == 503
    broker = anonymous.json()["broker"]
    assert broker == {"ok": False, "mode": "broker", "error": BROKER_DOWN}
    assert "127.0.0.1" not in anonymous.content.decode()
    assert "CELERY_BROKER_URL" in broker["error"]
    assert admin["error"] == BROKER_DOWN and admin["detail"]  # the raw error, for admins
