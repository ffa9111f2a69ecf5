"""A large synthetic organisation for benchmarks and scale tests (``manage.py seed_scale``)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from metrics.flowscore import flow_score
from metrics.models import DailyMetric
from resonance import indicators, partitions
from teams.models import Team

SCALE_TEAM_PREFIX = "scale-t"
SCALE_EMPLOYEE_PREFIX = "scale-e"
SCALE_MANAGER_PREFIX = "scale-m"
SCALE_ADMIN_USERNAME = "scale-admin"
SCALE_USER_PREFIX = "scale-"
# Rows handed to the database per round trip.
BATCH_ROWS = 20_000
# How each component follows a member's level (others: 1.0) and its day-to-day spread (0.1).
SCALE = {"burnout": 0.9}
NOISE = {"fatigue": 0.08, "burnout": 0.05}


# --- Scale data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleResult:
    teams: int
    employees: int
    managers: int
    daily_metrics: int
    created: bool


def scale_team_name(index: int) -> str:
    return f"{SCALE_TEAM_PREFIX}{index + 1:03d}"


def _team_sizes(rng: random.Random, *, employees: int, teams: int) -> list[int]:
    """Uneven team sizes (about 0.4x to 1.6x the average) that add up to ``employees``."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(teams)]
    total = sum(weights)
    sizes = [max(1, math.floor(employees * w / total)) for w in weights]
    index = 0
    while sum(sizes) < employees:
        sizes[index % teams] += 1
        index += 1
    while sum(sizes) > employees:
        if sizes[index % teams] > 1:
            sizes[index % teams] -= 1
        index += 1
    return sizes


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _metric_rows(
    rng: random.Random,
    *,
    members: list[tuple[int, int]],
    team_profiles: dict[int, tuple[float, float]],
    dates: list[dt.date],
) -> Iterator[dict]:
    """DailyMetric field values, one per member per day they checked in (members have habits)."""
    now = timezone.now()
    weights = indicators.flow_weights()
    keys = indicators.component_keys()
    span = max(1, len(dates) - 1)
    for user_id, team_id in members:
        base, drift = team_profiles[team_id]
        habit = rng.uniform(0.9, 1.0)
        offset = rng.gauss(0.0, 0.08)
        for index, day in enumerate(dates):
            if rng.random() > habit:
                continue
            level = base + offset + drift * index / span
            # One value per component the profile computes (resonance.indicators).
            components = {
                key: round(
                    _clip(level * SCALE.get(key, 1.0) + rng.gauss(0, NOISE.get(key, 0.1))), 4
                )
                for key in keys
            }
            yield {
                "user_id": user_id,
                "team_id": team_id,
                "date": day,
                **components,
                "flow_score": flow_score(components, weights),
                "checkin_count": 1,
                "updated_at": now,
            }


def _write_metrics(rows: Iterator[dict]) -> int:
    """COPY on PostgreSQL (several times faster than INSERT); batched bulk_create elsewhere."""
    written = 0
    if connection.vendor == "postgresql":
        fields = [f for f in DailyMetric._meta.concrete_fields if not f.primary_key]
        # Columns the generator does not fill get their model default, prepared once.
        defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
        attnames = [f.attname for f in fields]
        # A concrete field always has a column (the stubs allow None for the others).
        columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
        table = connection.ops.quote_name(DailyMetric._meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row.get(name, defaults[name]) for name in attnames])
                written += 1
        # Fresh statistics, or the planner guesses a few rows per team after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        return written
    batch: list[DailyMetric] = []
    for row in rows:
        batch.append(DailyMetric(**row))
        if len(batch) >= BATCH_ROWS:
            written += len(DailyMetric.objects.bulk_create(batch))
            batch = []
    if batch:
        written += len(DailyMetric.objects.bulk_create(batch))
    return written


@transaction.atomic
def scale_data_delete() -> int:
    """Delete every team and user made by ``scale_data_create`` (and their daily metrics).

    Side effects: removes rows of other apps that cascade from those users and teams (their
    published team periods included).
    """
    DailyMetric.objects.filter(user__username__startswith=SCALE_USER_PREFIX).delete()
    deleted_users, _ = User.objects.filter(username__startswith=SCALE_USER_PREFIX).delete()
    Team.objects.filter(name__startswith=SCALE_TEAM_PREFIX).delete()
    return deleted_users


@transaction.atomic
def scale_data_create(
    *,
    employees: int,
    teams: int,
    days: int,
    seed: int = 1,
    end_date: dt.date | None = None,
    password: str | None = None,
    reset: bool = False,
) -> ScaleResult:
    """Create ``teams`` teams (one manager each), ``employees`` employees and ``days`` days of
    daily metrics ending on ``end_date`` (default today), plus the admin ``scale-admin``.

    Deterministic for a given seed and end date. Preconditions: ``teams >= 1``,
    ``employees >= teams``, ``days >= 1``. When scale data already exists it is left as is
    (idempotent) unless ``reset`` is true, which deletes it first. Users get ``password`` or an
    unusable one. All or nothing: runs in one transaction.
    """
    if teams < 1 or days < 1 or employees < teams:
        raise ValueError("Need at least one team, one day and one employee per team.")
    if reset:
        scale_data_delete()
    existing = Team.objects.filter(name__startswith=SCALE_TEAM_PREFIX).count()
    if existing:
        return ScaleResult(
            teams=existing,
            employees=User.objects.filter(username__startswith=SCALE_EMPLOYEE_PREFIX).count(),
            managers=User.objects.filter(username__startswith=SCALE_MANAGER_PREFIX).count(),
            daily_metrics=DailyMetric.objects.filter(
                team__name__startswith=SCALE_TEAM_PREFIX
            ).count(),
            created=False,
        )

    rng = random.Random(seed)
    end_date = end_date or timezone.localdate()
    dates = [end_date - dt.timedelta(days=days - 1 - i) for i in range(days)]
    partitions.ensure_months(dates[0], dates[-1])  # PostgreSQL: rows go to their month
    password_hash = make_password(password)  # hashed once: hashing 5,000 times takes minutes
    consent = timezone.now()

    team_objs = Team.objects.bulk_create([Team(name=scale_team_name(i)) for i in range(teams)])
    # Team wellbeing: a baseline risk level and a drift over the period (some teams decline).
    profiles = {t.pk: (rng.uniform(0.25, 0.55), rng.uniform(-0.1, 0.2)) for t in team_objs}

    managers = User.objects.bulk_create(
        [
            User(
                username=f"{SCALE_MANAGER_PREFIX}{i + 1:03d}",
                email=f"{SCALE_MANAGER_PREFIX}{i + 1:03d}@scale.resonance.local",
                role=User.Role.MANAGER,
                password=password_hash,
            )
            for i in range(teams)
        ]
    )
    Team.managers.through.objects.bulk_create(
        [
            Team.managers.through(team_id=t.pk, user_id=m.pk)
            for t, m in zip(team_objs, managers, strict=True)
        ]
    )
    User.objects.bulk_create(
        [
            User(
                username=SCALE_ADMIN_USERNAME,
                email="scale-admin@scale.resonance.local",
                role=User.Role.ADMIN,
                is_staff=True,
                password=password_hash,
            )
        ]
    )

    sizes = _team_sizes(rng, employees=employees, teams=teams)
    people: list[User] = []
    number = 0
    for team, size in zip(team_objs, sizes, strict=True):
        for _ in range(size):
            number += 1
            people.append(
                User(
                    username=f"{SCALE_EMPLOYEE_PREFIX}{number:05d}",
                    email=f"{SCALE_EMPLOYEE_PREFIX}{number:05d}@scale.resonance.local",
                    role=User.Role.EMPLOYEE,
                    team_id=team.pk,
                    password=password_hash,
                    biometric_consent_at=consent,
                    company_joined_on=end_date - dt.timedelta(days=rng.randint(30, 3000)),
                    designation=rng.randint(0, 5),
                    company_type=rng.choice(User.CompanyType.values),
                    wfh_available=rng.random() < 0.6,
                )
            )
    User.objects.bulk_create(people, batch_size=1000)
    members = list(
        User.objects.filter(username__startswith=SCALE_EMPLOYEE_PREFIX)
        .order_by("username")
        .values_list("pk", "team_id")
    )
    written = _write_metrics(
        _metric_rows(rng, members=members, team_profiles=profiles, dates=dates)
    )
    return ScaleResult(
        teams=teams, employees=len(members), managers=teams, daily_metrics=written, created=True
    )
