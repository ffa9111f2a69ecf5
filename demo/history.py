"""Daily-metric history for the demo organisation, so dashboards and alerts have data.

Each demo team follows a trajectory (healthy, steady, declining). Employees check in on most
working days; every row's FlowScore comes from the same pure function as real check-ins.
"""

import datetime as dt
import math
import random

from django.db import transaction

from accounts.models import User
from demo.organisation import DEMO_TEAMS
from metrics.flowscore import coach_message, flow_score
from metrics.models import DailyMetric
from resonance import indicators, partitions
from teams.models import Team

# Mean risk (0-1) of each component at the start and end of the window, per trajectory.
TRAJECTORIES = {
    "healthy": {"start": 0.25, "end": 0.22},
    "steady": {"start": 0.40, "end": 0.40},
    # Stable for the first half of the window, then a clear slide over the last six weeks
    # (weekly team cells need a few closed weeks to show it).
    "declining": {"start": 0.32, "end": 0.68, "turn": 0.5},
}
# Day-to-day spread of each component around the team's course (others: 0.09).
NOISE = {"fatigue": 0.08, "burnout": 0.05}
CHECKIN_PROBABILITY_WORKDAY = 0.85
CHECKIN_PROBABILITY_WEEKEND = 0.08


def _team_risk(trajectory: str, progress: float) -> float:
    shape = TRAJECTORIES[trajectory]
    turn = shape.get("turn")
    if turn is not None:
        if progress < turn:
            return shape["start"]
        progress = (progress - turn) / (1 - turn)
    return shape["start"] + (shape["end"] - shape["start"]) * progress


def _clip(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)


@transaction.atomic
def seed_demo_history(days: int = 90, seed: int = 7) -> list[str]:
    """Create ``days`` days (ending today) of DailyMetric rows for the demo employees.

    Idempotent: days that already have a row are left as they are. Returns summary lines.
    """
    rng = random.Random(seed)
    today = dt.date.today()
    start = today - dt.timedelta(days=days - 1)
    partitions.ensure_months(start, today)  # PostgreSQL: a month's partition for each day
    summary: list[str] = []
    for team_name, (_size, trajectory) in DEMO_TEAMS.items():
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            continue
        members = list(User.objects.filter(team=team, role=User.Role.EMPLOYEE).order_by("username"))
        existing = set(
            DailyMetric.objects.filter(user__in=members, date__gte=start).values_list(
                "user_id", "date"
            )
        )
        rows = []
        for member in members:
            # Each person has their own baseline and day-to-day noise around the team's course.
            offset = rng.gauss(0, 0.06)
            for index in range(days):
                day = start + dt.timedelta(days=index)
                chance = (
                    CHECKIN_PROBABILITY_WORKDAY
                    if day.weekday() < 5
                    else CHECKIN_PROBABILITY_WEEKEND
                )
                if rng.random() > chance or (member.pk, day) in existing:
                    continue
                progress = index / max(1, days - 1)
                base = _team_risk(trajectory, progress) + offset
                weekly = 0.03 * math.sin(2 * math.pi * day.weekday() / 7)
                # One value per component the profile computes (resonance.indicators).
                shifts = {"fatigue": weekly, "burnout": 0.04}
                components = {
                    key: _clip(base + shifts.get(key, 0.0) + rng.gauss(0, NOISE.get(key, 0.09)))
                    for key in indicators.component_keys()
                }
                score = flow_score(components, indicators.flow_weights())
                rows.append(
                    DailyMetric(
                        user=member,
                        team=team,
                        date=day,
                        **components,
                        flow_score=score,
                        checkin_count=1,
                        meeting_count=max(0, round(rng.gauss(3 + 4 * base, 1.5))),
                        coach_message=coach_message(score),
                    )
                )
        DailyMetric.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        summary.append(
            f"Team {team_name}: {len(rows)} days of metrics added ({trajectory}, "
            f"{len(members)} employees)."
        )
    return summary
