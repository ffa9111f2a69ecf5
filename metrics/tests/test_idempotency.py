"""The same submission sent twice is one check-in (Idempotency-Key, the form's hidden key)."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.utils import timezone

from metrics.models import CheckIn
from tests.support.concurrency import run_at_once

from .media import image_upload
from .test_on_device import _body, _manifest, private  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/sync/"
KEY = "b6a4c0f2-9d1e-4c55-8a1b-3f0e2d7c9a10"


def _post(client, key: str | None = KEY):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(SYNC, {"image": image_upload()}, format="multipart", **headers)


def test_a_repeated_key_returns_the_first_check_in(tiny_models, employee, api_client_for):
    client = api_client_for(employee)

    first = _post(client)
    again = _post(client)

    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.count() == 1
    assert _post(client, key=KEY.replace("b6", "c7")).json()["id"] != first.json()["id"]
    assert _post(client, key=None).status_code == 202  # no key: every post is new
    assert CheckIn.objects.count() == 3


def test_keys_are_per_person(tiny_models, employee, teammate, api_client_for):
    mine = _post(api_client_for(employee)).json()["id"]
    theirs = _post(api_client_for(teammate)).json()["id"]
    assert mine != theirs


def test_after_a_day_the_key_names_a_new_check_in(tiny_models, employee, api_client_for):
    client = api_client_for(employee)
    first = _post(client).json()["id"]
    CheckIn.objects.filter(pk=first).update(created_at=timezone.now() - dt.timedelta(hours=25))

    second = _post(client).json()["id"]

    assert second != first
    assert CheckIn.objects.get(pk=first).idempotency_key == ""  # released, the row kept


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space in it", "ünïcödé-key-1"])
def test_a_malformed_key_is_a_readable_400(tiny_models, employee, api_client_for, key):
    response = _post(api_client_for(employee), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key must be 8 to 64" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_scores_from_a_device_sent_twice_are_one_check_in(
    client,
    employee,
    tiny_models,
    private,  # noqa: F811
):
    client.force_login(employee)
    body = json.dumps(_body(_manifest(client), fatigue=0.2, stress=0.3))
    answers = [
        client.post(SYNC, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert CheckIn.objects.filter(source="device").count() == 1


def test_the_form_sent_twice_stores_one_check_in(tiny_models, employee, client):
    client.force_login(employee)
    page = client.get("/checkin/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)

    first = client.post("/checkin/", {"image": image_upload(), "idempotency_key": key})
    again = client.post("/checkin/", {"image": image_upload(), "idempotency_key": key})

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert CheckIn.objects.count() == 1
    assert key not in client.get("/checkin/").content.decode()  # each page has its own key


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_store_one_check_in(tiny_models, employee, api_client_for):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL (set DATABASE_URL).")
    answers = []

    def post() -> None:
        answers.append(_post(api_client_for(employee)))

    errors = run_at_once(post, threads=4)

    assert errors == []
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert CheckIn.objects.count() == 1
