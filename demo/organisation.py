"""The demo organisation: teams, managers, employees (with consent) and their history."""

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accounts.models import User
from teams.models import Team

DEMO_PASSWORD_SUFFIX = "-resonance-demo"
DEMO_TEAMS = {
    # name: (number of employees, trajectory of the team's wellbeing)
    "Platform": (12, "healthy"),
    "Mobile": (10, "declining"),
    "Design": (8, "steady"),
    "Support": (4, "steady"),  # below the default privacy threshold: always suppressed
}


@dataclass
class SeedResult:
    created_credentials: list[tuple[str, str, str]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


def _ensure_user(username: str, *, result: SeedResult, **fields: Any) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = User(username=username, **fields)
    password = demo_password(username)
    user.set_password(password)
    user.save()
    result.created_credentials.append((username, user.role, password))
    return user


@transaction.atomic
def seed_demo_organisation(*, seed: int = 7) -> SeedResult:
    result = SeedResult()
    rng = random.Random(seed)
    _ensure_user(
        "admin",
        result=result,
        role=User.Role.ADMIN,
        is_staff=True,
        is_superuser=True,
        email="admin@demo.resonance.local",
    )
    today = dt.date.today()
    for team_name, (size, trajectory) in DEMO_TEAMS.items():
        team, _ = Team.objects.get_or_create(name=team_name)
        slug = team_name.lower()
        manager = _ensure_user(
            f"{slug}-lead",
            result=result,
            role=User.Role.MANAGER,
            email=f"{slug}-lead@demo.resonance.local",
            first_name=team_name,
            last_name="Lead",
        )
        team.managers.add(manager)
        for index in range(1, size + 1):
            _ensure_user(
                f"{slug}-{index}",
                result=result,
                role=User.Role.EMPLOYEE,
                team=team,
                email=f"{slug}-{index}@demo.resonance.local",
                first_name=f"{team_name}",
                last_name=f"Member {index}",
                biometric_consent_at=dt.datetime.now(dt.UTC),
                company_joined_on=today - dt.timedelta(days=rng.randint(120, 2400)),
                designation=rng.randint(0, 4),
                company_type=rng.choice(list(User.CompanyType.values)),
                wfh_available=rng.random() < 0.6,
            )
        result.summary.append(f"Team {team_name}: {size} employees, {trajectory}.")
    return result
