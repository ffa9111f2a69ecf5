"""What the published team aggregates cost in accuracy, and what they give an attacker.

    .venv/bin/python bench/privacy.py                     # default epsilon, 2,000 trials
    .venv/bin/python bench/privacy.py --trials 500 --epsilons 1,2,3,5,10

Three parts, all through the product's own code:

* **Utility**: for teams of 5, 10, 20 and 50 people, the mean absolute error of a published
  FlowScore cell (``teams.publication.publish_cell``) against the team's true mean.
* **Noise attacks**, over seeded trials (the data is seeded; the noise comes from OpenDP's
  secure sampler and cannot be): *differencing two published days* (the same people both days,
  one more on the second: ``n x day2 - (n - 1) x day1``) and *collusion* (the manager knows
  every member's score but one: ``n x cell - sum(known)``). Printed: how far the estimate
  falls from the person's true FlowScore, and the share of trials within 10 points.
* **Structural attacks**, on a scratch SQLite database with the real services: live
  differencing of today's cell, erasure rewriting history, and a team alert re-read after a
  lone check-in. Each compares the two views the attacker would subtract.

``--epsilons`` prints the trade-off for other values of ``PRIVACY_EPSILON_PER_VALUE``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")
# A scratch database of its own: the structural attacks write to it.
os.environ["RESONANCE_VAR_DIR"] = tempfile.mkdtemp(prefix="resonance-privacy-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ["CELERY_BROKER_URL"] = ""  # tasks run in-process

SIZES = (5, 10, 20, 50)
GUESS = 10.0  # FlowScore points
TARGET_FLOW = 16.2


def _flows(rng: random.Random, count: int) -> list[float]:
    return [round(min(100.0, max(0.0, rng.gauss(62.0, 15.0))), 1) for _ in range(count)]


def _publish(flows: list[float], *, epsilon: float, k: int) -> float | None:
    from teams.publication import DayRows, publish_cell

    rows = DayRows(user_ids=list(range(len(flows))))
    rows.values["flow_score"] = list(flows)
    fields = publish_cell(
        rows, members=len(flows), k=k, epsilon=epsilon, budget_left=float("inf"), at_risk=None
    )
    return fields.get("flow_score")


def _summary(errors: list[float]) -> str:
    within = sum(1 for e in errors if e <= GUESS) / len(errors)
    return (
        f"median {statistics.median(errors):6.1f}  mean {statistics.fmean(errors):6.1f}  "
        f"within ±{GUESS:g}: {within:5.1%}"
    )


def _published_flow(flows: list[float], *, epsilon: float, k: int) -> float:
    """The published FlowScore of a cell of at least ``k`` people, which is never suppressed."""
    flow = _publish(flows, epsilon=epsilon, k=k)
    assert flow is not None, f"a cell of {len(flows)} people is suppressed at k={k}"
    return flow


def utility(*, epsilon: float, trials: int, seed: int, k: int) -> dict[int, float]:
    rng = random.Random(seed)
    result = {}
    for size in SIZES:
        errors = []
        for _ in range(trials):
            flows = _flows(rng, size)
            published = _published_flow(flows, epsilon=epsilon, k=k)
            errors.append(abs(published - statistics.fmean(flows)))
        result[size] = statistics.fmean(errors)
    return result


def _attack_errors(
    estimate: Callable[[random.Random], float], *, trials: int, seed: int
) -> list[float]:
    """How far ``estimate`` (given a seeded generator for the team's data) falls from the
    target's true FlowScore, in each of ``trials``."""
    rng = random.Random(seed)
    return [abs(estimate(rng) - TARGET_FLOW) for _ in range(trials)]


def differencing(*, size: int, epsilon: float, trials: int, seed: int, k: int) -> list[float]:
    """``size - 1`` people on day 1, the same people with the same scores plus one on day 2."""

    def estimate(rng: random.Random) -> float:
        others = _flows(rng, size - 1)
        day1 = _publish(others, epsilon=epsilon, k=k) if size - 1 >= k else None
        day2 = _published_flow([*others, TARGET_FLOW], epsilon=epsilon, k=k)
        # With the smaller day suppressed the attacker has only day 2.
        return day2 if day1 is None else size * day2 - (size - 1) * day1

    return _attack_errors(estimate, trials=trials, seed=seed)


def collusion(*, size: int, epsilon: float, trials: int, seed: int, k: int) -> list[float]:
    """The manager knows every member's score but the target's."""

    def estimate(rng: random.Random) -> float:
        known = _flows(rng, size - 1)
        cell = _published_flow([*known, TARGET_FLOW], epsilon=epsilon, k=k)
        return size * cell - sum(known)

    return _attack_errors(estimate, trials=trials, seed=seed)


def structural(*, trials: int, seed: int) -> list[tuple[str, int, int, list[bool]]]:
    """Run the three view-differencing attacks with the real services on a scratch database."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from alerts.models import BurnoutAlert
    from alerts.services.evaluation import alerts_evaluate, alerts_evaluate_for_user
    from metrics.models import DailyMetric
    from metrics.services.erasure import my_data_erase
    from teams.models import Team
    from teams.publication import team_days_publish
    from teams.selectors import dashboard_rows, team_day_aggregates

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    today = timezone.localdate()
    admin = User.objects.create(username="bench-admin", role=User.Role.ADMIN)
    results: list[tuple[str, int, int, list[bool]]] = []

    def view(team: Team, days: int = 30) -> list[dict]:
        aggregates = team_day_aggregates(
            user=admin,
            date_from=today - dt.timedelta(days=days - 1),
            date_to=today,
            team_ids=[team.pk],
        )
        return dashboard_rows(aggregates, metric="flow_score")

    def team_of(name: str, size: int) -> tuple[Team, list[User]]:
        team = Team.objects.create(name=name)
        people = [
            User.objects.create(username=f"{name}-{i}", team=team, role=User.Role.EMPLOYEE)
            for i in range(size)
        ]
        return team, people

    def history(people: list[User], team: Team, *, days: int, base: float) -> list[float]:
        flows = [base + rng.gauss(0, 8) for _ in people]
        DailyMetric.objects.bulk_create(
            DailyMetric(user=p, team=team, date=today - dt.timedelta(days=back), flow_score=f)
            for back in range(1, days + 1)
            for p, f in zip(people, flows, strict=True)
        )
        return flows

    def closing_now() -> dt.datetime:
        # Everything up to yesterday has closed for UTC members (plus the grace period).
        return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(6, 30), tzinfo=dt.UTC)

    # Live differencing: 5 of 6 check in today, then the sixth.
    same = no_value = 0
    for trial in range(trials):
        team, people = team_of(f"live{trial}", 6)
        flows = _flows(rng, 6)
        DailyMetric.objects.bulk_create(
            DailyMetric(user=p, team=team, date=today, flow_score=f)
            for p, f in zip(people[:5], flows, strict=False)
        )
        before = view(team)
        DailyMetric.objects.create(user=people[5], team=team, date=today, flow_score=flows[5])
        after = view(team)
        same += before == after
        no_value += after[-1]["value"] is None
    results.append((f"live differencing (today: {no_value} without a value)", same, trials, []))

    # Erasure: 27 published days, one member erases, the manager looks again.
    same, errors = 0, []
    for trial in range(trials):
        team, people = team_of(f"erase{trial}", 6)
        flows = history(people, team, days=27, base=60.0)
        team_days_publish(now=closing_now(), team_ids=[team.pk], announce=False)
        before = view(team)
        my_data_erase(user=people[0])
        after = view(team)
        same += before == after
        # n x before - (n - 1) x after: with identical views this is the published team mean,
        # i.e. exactly the guess anyone could make. Count the days where it does better.
        for b, a in zip(before, after, strict=True):
            if b["value"] is not None:
                estimate = 6 * b["value"] - 5 * a["value"]
                errors.append(abs(estimate - flows[0]) < abs(b["value"] - flows[0]) - 1e-6)
    results.append(("erasure rewriting history", same, trials, errors))

    # Team alert re-read after one person's lone check-in on an unpublished day.
    same, fields = 0, ("rule", "message", "snapshot", "window_end", "updated_at")
    for trial in range(trials):
        team, people = team_of(f"alert{trial}", 6)
        history(people, team, days=14, base=35.0)
        team_days_publish(now=closing_now(), team_ids=[team.pk], announce=False)
        alerts_evaluate(on_date=today, user_ids=[], team_ids=[team.pk], notify=False)
        snapshot = list(BurnoutAlert.objects.filter(team=team).values(*fields))
        DailyMetric.objects.create(user=people[0], team=team, date=today, flow_score=99.0)
        alerts_evaluate_for_user(user_id=people[0].pk, on_date=today)
        alerts_evaluate(on_date=today, user_ids=[], team_ids=[team.pk], notify=False)
        after = list(BurnoutAlert.objects.filter(team=team).values(*fields))
        same += bool(snapshot) and snapshot == after
    results.append(("team alert after a lone check-in", same, trials, []))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000, help="trials per noise attack")
    parser.add_argument("--structural-trials", type=int, default=20)
    parser.add_argument("--epsilons", default="", help="comma-separated epsilons to compare")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    k = settings.MIN_GROUP_SIZE
    epsilon = settings.PRIVACY_EPSILON_PER_VALUE
    print(f"Published FlowScore cells, epsilon {epsilon:g} per value, MIN_GROUP_SIZE {k}")
    print(f"\nUtility: mean absolute error of a published cell ({args.trials} trials per size)")
    for size, error in utility(epsilon=epsilon, trials=args.trials, seed=args.seed, k=k).items():
        print(f"  team of {size:>2}: {error:5.2f} FlowScore points")

    print(f"\nNoise attacks: distance of the attacker's estimate from the true {TARGET_FLOW}")
    for size in SIZES:
        kwargs = {"size": size, "epsilon": epsilon, "trials": args.trials, "seed": args.seed}
        print(
            f"  team of {size:>2}, differencing two days : {_summary(differencing(**kwargs, k=k))}"
        )
        print(f"  team of {size:>2}, collusion (all but one): {_summary(collusion(**kwargs, k=k))}")

    print(f"\nStructural attacks (real services, {args.structural_trials} trials each)")
    for name, same, trials, errors in structural(trials=args.structural_trials, seed=args.seed):
        line = f"  {name:<34}: the two views were identical in {same} of {trials}"
        if errors:
            line += (
                f"; the estimate beat guessing the team mean on {sum(errors)} of {len(errors)} days"
            )
        print(line)

    if args.epsilons:
        print("\nTrade-off (team of 10 utility; team of 5 collusion)")
        for value in (float(e) for e in args.epsilons.split(",")):
            mae = utility(epsilon=value, trials=args.trials, seed=args.seed, k=k)[10]
            attack = collusion(size=5, epsilon=value, trials=args.trials, seed=args.seed, k=k)
            print(f"  epsilon {value:>4g}: cell error {mae:5.2f}  collusion {_summary(attack)}")


if __name__ == "__main__":
    main()
