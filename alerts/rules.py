"""Alert rules as pure functions of aggregated daily values.

Each rule gets the numbers the evaluation service aggregated in the database for one target
(a user or a team) and the thresholds, and returns a :class:`Finding` when it fires or None.
Nothing here touches the database, so every boundary is tested directly.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.baselines import Comparison
from teams.privacy import at_risk_band

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Thresholds:
    window_days: int = 7
    min_days: int = 3
    sustained_burnout: float = 0.7
    sustained_of_last: int = 5
    sustained_min_hits: int = 3
    low_flow_medium: float = 40.0
    low_flow_high: float = 30.0
    decline_points: float = 15.0
    team_low_flow: float = 50.0
    team_decline_points: float = 10.0
    team_at_risk_share: float = 0.30
    below_usual_hits: int = 2
    below_usual_of_last: int = 3

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "Thresholds":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    snapshot: dict[str, Any]


def _r(value: float) -> float:
    return round(float(value), 1)


# --- Individual rules --------------------------------------------------------------------


def sustained_risk(recent_burnout: Sequence[float], t: Thresholds) -> Finding | None:
    """Burnout >= threshold on at least N of the last M check-in days (newest first)."""
    last = list(recent_burnout)[: t.sustained_of_last]
    hits = sum(1 for value in last if value >= t.sustained_burnout)
    if hits < t.sustained_min_hits:
        return None
    return Finding(
        rule="sustained_risk",
        severity="high",
        message=(
            f"Your burnout indicator was {t.sustained_burnout:.0%} or higher on {hits} of your "
            f"last {len(last)} check-in days."
        ),
        snapshot={
            "high_risk_days": hits,
            "checkin_days": len(last),
            "threshold": t.sustained_burnout,
        },
    )


def _window_drop(
    mean_flow: float | None,
    days: int,
    previous_mean_flow: float | None,
    previous_days: int,
    t: Thresholds,
    *,
    points: float,
) -> float | None:
    """How far the window's mean fell below the previous window's, when both windows have
    enough days and the fall is at least ``points``; None otherwise."""
    if mean_flow is None or previous_mean_flow is None:
        return None
    if days < t.min_days or previous_days < t.min_days:
        return None
    drop = previous_mean_flow - mean_flow
    return drop if drop >= points else None


def low_flow(mean_flow: float | None, days: int, t: Thresholds) -> Finding | None:
    """Window mean FlowScore below the medium (or high) threshold with enough days of data."""
    if mean_flow is None or days < t.min_days or mean_flow >= t.low_flow_medium:
        return None
    severity = "high" if mean_flow < t.low_flow_high else "medium"
    return Finding(
        rule="low_flow",
        severity=severity,
        message=(
            f"Your average FlowScore over the last {t.window_days} days is {_r(mean_flow)} "
            f"(below {t.low_flow_medium:g}), over {days} days of check-ins."
        ),
        snapshot={"mean_flow": _r(mean_flow), "days": days},
    )


def decline(
    mean_flow: float | None,
    days: int,
    previous_mean_flow: float | None,
    previous_days: int,
    t: Thresholds,
) -> Finding | None:
    """Window mean at least N points below the previous window's mean, both with enough days."""
    drop = _window_drop(
        mean_flow, days, previous_mean_flow, previous_days, t, points=t.decline_points
    )
    if drop is None or mean_flow is None or previous_mean_flow is None:
        return None
    return Finding(
        rule="decline",
        severity="medium",
        message=(
            f"Your average FlowScore fell by {_r(drop)} points: {_r(mean_flow)} over the last "
            f"{t.window_days} days against {_r(previous_mean_flow)} the week before."
        ),
        snapshot={
            "mean_flow": _r(mean_flow),
            "previous_mean_flow": _r(previous_mean_flow),
            "drop": _r(drop),
            "days": days,
            "previous_days": previous_days,
        },
    )


def below_usual(comparisons: Sequence[Comparison], t: Thresholds) -> Finding | None:
    """FlowScore well below the person's own usual (``metrics.baselines``) on at least
    ``below_usual_hits`` of their last ``below_usual_of_last`` check-in days (newest first).

    Days without a baseline (the first days) count as neither."""
    last = list(comparisons)[: t.below_usual_of_last]
    hits = [c for c in last if c.worse]
    if len(hits) < t.below_usual_hits:
        return None
    usual = hits[0].usual
    return Finding(
        rule="below_usual",
        severity="low",
        message=(
            f"Your FlowScore was well below your usual (about {_r(usual)}) on {len(hits)} of "
            f"your last {len(last)} check-in days."
        ),
        snapshot={"usual_flow": _r(usual), "below_days": len(hits), "checkin_days": len(last)},
    )


def individual_findings(
    *,
    mean_flow: float | None,
    days: int,
    previous_mean_flow: float | None,
    previous_days: int,
    recent_burnout: Sequence[float],
    t: Thresholds,
    recent_comparisons: Sequence[Comparison] = (),
) -> list[Finding]:
    findings = [
        sustained_risk(recent_burnout, t),
        low_flow(mean_flow, days, t),
        decline(mean_flow, days, previous_mean_flow, previous_days, t),
    ]
    # "Below your usual" catches what the shared thresholds miss; when low_flow or decline
    # already speaks about the FlowScore, a second alert would only repeat it.
    if findings[1] is None and findings[2] is None:
        findings.append(below_usual(recent_comparisons, t))
    return [f for f in findings if f is not None]


# --- Team rules (published team-days only: closed, noised, frozen) -------------------------
# A team rule reads the team's published cells of the window, never a live or hidden day; a
# published cell already has at least MIN_GROUP_SIZE contributors. Its inputs are means of
# published values and how many published days the window holds: no count of people.


def team_low_flow(mean_flow: float | None, days: int, t: Thresholds) -> Finding | None:
    """Mean published FlowScore of the window's days below the threshold."""
    if mean_flow is None or days < t.min_days or mean_flow >= t.team_low_flow:
        return None
    return Finding(
        rule="team_low_flow",
        severity="medium",
        message=(
            f"The team's average FlowScore over its latest published weeks is about "
            f"{_r(mean_flow)} (below {t.team_low_flow:g}), over {days} published days."
        ),
        snapshot={"mean_flow": _r(mean_flow), "days_published": days},
    )


def team_decline(
    mean_flow: float | None,
    days: int,
    previous_mean_flow: float | None,
    previous_days: int,
    t: Thresholds,
) -> Finding | None:
    """Window mean at least N points below the previous window, both with enough published days."""
    drop = _window_drop(
        mean_flow, days, previous_mean_flow, previous_days, t, points=t.team_decline_points
    )
    if drop is None or mean_flow is None or previous_mean_flow is None:
        return None
    return Finding(
        rule="team_decline",
        severity="medium",
        message=(
            f"The team's average FlowScore fell by about {_r(drop)} points: {_r(mean_flow)} over "
            f"its latest published weeks against {_r(previous_mean_flow)} in the weeks before."
        ),
        snapshot={
            "mean_flow": _r(mean_flow),
            "previous_mean_flow": _r(previous_mean_flow),
            "drop": _r(drop),
            "days_published": days,
            "previous_days_published": previous_days,
        },
    )


def team_at_risk(at_risk_share: float | None, days: int, t: Thresholds) -> Finding | None:
    """The published (noised) share of contributors with an open individual alert, averaged
    over the window's published days, is at least the threshold. Only its band is reported."""
    if at_risk_share is None or days < t.min_days or at_risk_share < t.team_at_risk_share:
        return None
    # A band, never the share: "100%" would say every member has an alert.
    band = at_risk_band(at_risk_share)
    return Finding(
        rule="team_at_risk",
        severity="medium",
        message=(
            f"{band.capitalize()} of the team's contributing members showed individual burnout "
            "signals in the latest published month."
        ),
        snapshot={"share_at_risk_band": band, "days_published": days},
    )


def team_findings(
    *,
    mean_flow: float | None,
    days: int,
    previous_mean_flow: float | None,
    previous_days: int,
    at_risk_share: float | None,
    at_risk_days: int,
    t: Thresholds,
) -> list[Finding]:
    findings = [
        team_low_flow(mean_flow, days, t),
        team_decline(mean_flow, days, previous_mean_flow, previous_days, t),
        team_at_risk(at_risk_share, at_risk_days, t),
    ]
    return [f for f in findings if f is not None]


def is_escalation(old_severity: str, new_severity: str) -> bool:
    return SEVERITY_RANK.get(new_severity, 0) > SEVERITY_RANK.get(old_severity, 0)
