"""Concurrent evaluations on PostgreSQL: no duplicate alerts, one email per alert."""

import pytest
from django.core import mail
from django.db import connection

from alerts.models import BurnoutAlert
from alerts.services.evaluation import alerts_evaluate
from teams.tests.helpers import publish
from tests.support.concurrency import run_at_once

from .conftest import ON, add_days

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("noiseless"),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks and concurrent inserts need PostgreSQL (set DATABASE_URL).")


def test_parallel_evaluations_create_each_alert_once_and_email_it_once(crew, manager):
    for user in crew:
        add_days(user, [80.0] * 7 + [30.0] * 7, burnout=[0.9] * 14)
    # Published before anyone has an alert: the days carry no one at risk.
    publish(through=ON, announce=False)
    errors = run_at_once(lambda: alerts_evaluate(on_date=ON))
    assert errors == []

    # 5 members x (sustained_risk, low_flow, decline) + team_low_flow and team_decline.
    assert BurnoutAlert.objects.filter(status="open").count() == 17
    assert BurnoutAlert.objects.count() == 17
    recipients = sorted(m.to[0] for m in mail.outbox)
    expected = sorted([u.email for u in crew for _ in range(3)] + [manager.email] * 2)
    assert recipients == expected
