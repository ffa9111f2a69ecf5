"""Run by tests/test_replica.py in a process of its own, against a real primary
(``DATABASE_URL``) and its streaming replica (``DATABASE_REPLICA_URL``): prints what the team
pages read while the replica's replay is paused, as JSON."""

import datetime as dt
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")

import django

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from teams.models import PublishedTeamPeriod, Team  # noqa: E402


def on_replica(sql: str) -> object:
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for_replica(count: int) -> None:
    deadline = time.monotonic() + 30
    while on_replica("select count(*) from teams_publishedteamperiod") != count:
        if time.monotonic() > deadline:
            raise SystemExit("the replica never caught up")
        time.sleep(0.1)


def week(team: Team, first: dt.date, value: float) -> None:
    PublishedTeamPeriod.objects.create(
        team=team,
        period=PublishedTeamPeriod.Period.WEEK,
        date=first,
        status=PublishedTeamPeriod.Status.PUBLISHED,
        flow_score=value,
        contributors_band="5-9 people",
        published_at=timezone.now(),
    )


def heatmap(client: Client, team: Team, first: dt.date) -> list[dict]:
    answer = client.get(
        f"/api/v1/teams/{team.pk}/heatmap/",
        {"from": (first - dt.timedelta(days=14)).isoformat(), "to": first.isoformat()},
    )
    assert answer.status_code == 200, answer.content
    return [c for c in answer.json()["cells"] if c["status"] == "published"]


setup_test_environment()
manager = User.objects.create_user("replica-lead", password="x", role=User.Role.MANAGER)
team = Team.objects.create(name="Replicated")
team.managers.add(manager)
monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 14)
week(team, monday, 55.0)
wait_for_replica(1)
on_replica("select pg_wal_replay_pause()")
try:
    week(team, monday + dt.timedelta(days=7), 80.0)  # written while the replica stands still
    client = Client()
    client.force_login(manager)  # a session written on the primary just now
    paused = heatmap(client, team, monday + dt.timedelta(days=7))
    page = client.get("/dashboard/")
    primary_count = PublishedTeamPeriod.objects.filter(team=team).count()
finally:
    on_replica("select pg_wal_replay_resume()")
wait_for_replica(2)
resumed = heatmap(client, team, monday + dt.timedelta(days=7))
print(
    json.dumps(
        {
            "paused_cells": [c["value"] for c in paused],
            "dashboard_status": page.status_code,
            "primary_count": primary_count,
            "resumed_cells": [c["value"] for c in resumed],
            "replica_in_recovery": on_replica("select pg_is_in_recovery()"),
        }
    )
)
