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


def test_tasks_stuck_in_the_outbox_point_at_the_relay(client, admin_user, tiny_models, settings):
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    from outbox.models import OutboxMessage
    from outbox.services import outbox_add

    admin = Client()
    admin.force_login(admin_user)
    assert admin.get("/healthz").json()["outbox"] == {
        "ok": True,
        "waiting": 0,
        "oldest_seconds": 0,
    }
    outbox_add("metrics.tasks.score_checkin", 1)
    assert client.get("/healthz").json()["outbox"] == {"ok": True}  # just queued
    two_minutes_ago = timezone.now() - dt.timedelta(minutes=2)
    OutboxMessage.objects.update(created_at=two_minutes_ago)

    response = client.get("/healthz")
    outbox = response.json()["outbox"]
    assert response.status_code == 503
    assert outbox["ok"] is False
    assert "relay_outbox" in outbox["error"] and "nothing is lost" in outbox["error"]
    # How many tasks wait, and since when, is for admins: it counts people's check-ins.
    assert set(outbox) == {"ok", "error"}
    detailed = admin.get("/healthz").json()["outbox"]
    assert detailed["waiting"] == 1 and detailed["oldest_seconds"] >= 120
