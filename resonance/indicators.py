"""The indicator registry: every number Resonance computes about a person, declared once.

An *indicator* (not to be confused with Django's dispatch signals) is one daily number: a
model's score, the FlowScore, a self-reported figure. Each is declared here once, with what the
rest of the code needs to know about it: label, unit and range, which direction is worse, its
**category**, what produces it, its FlowScore weight and whether managers may see it published.
Forms, serializers, scoring, FlowScore, baselines, publication, the heatmap's metric choices,
CSV columns, exports, the device manifest, admin and benches read this registry instead of
lists of their own.

**Lawful profiles.** ``settings.SIGNAL_PROFILE`` names the profile this deployment runs under.
``standard`` computes everything; ``eu`` drops every ``emotion`` indicator, because the EU AI
Act (Art. 5(1)(f)) prohibits inferring the emotions of people at work from biometric data
such as voice or face. Fatigue is a physical state, not an emotion (Recital 18), and stays.
Under a profile, an indicator that is not *active* is not computed, stored, published,
alerted on, exported or offered on the device: code asks ``active()`` (or the narrower
helpers below), never the full list, unless it must also see what a profile excludes (the
purge command, the start-up check).

Adding an indicator: declare it in ``INDICATORS``, give it a column where it is stored
(``CheckIn``/``DailyMetric``/``PublishedTeamPeriod`` for scores), write its scorer, and its tests.
See ``docs/architecture.md``, "Adding an indicator".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings


class Category(enum.StrEnum):
    PHYSICAL = "physical"  # a bodily state (fatigue): not an emotion under the AI Act
    EMOTION = "emotion"  # an inferred emotional state: prohibited at work in the EU
    SELF_REPORT = "self_report"  # what the person typed in
    WORKLOAD = "workload"  # how much work there is (meetings, hours), not how someone feels
    DERIVED = "derived"  # computed from other indicators (burnout model, FlowScore)


class Worse(enum.StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Stored(enum.StrEnum):
    # A score: on the check-in, averaged into the day, published as a team mean when allowed.
    SCORE = "score"
    # A figure the person reports: on the check-in only.
    SELF_REPORT = "self_report"
    # A figure of the whole day read from a connected source (the calendar's meeting load),
    # not from a check-in: stored by the app that reads it, one row per person per day, and
    # joined into the person's days through ``metrics.day_figures``.
    DAY_FIGURE = "day_figure"


# Which categories each profile leaves out.
PROFILES: dict[str, frozenset[Category]] = {
    "standard": frozenset(),
    "eu": frozenset({Category.EMOTION}),
}


@dataclass(frozen=True)
class Indicator:
    key: str  # the field name everywhere: model column, API field, CSV column, metric choice
    label: str  # what people read ("Fatigue")
    unit: str  # "probability", "points", "hours", "meetings", "0-10"
    low: float
    high: float
    worse: Worse
    category: Category
    stored: Stored
    why: str  # one sentence: why it is in its category (shown in admin and the compliance doc)
    # The ModelVersion kind that produces it; None for self-reports and the FlowScore.
    model_kind: str | None = None
    # The upload its model reads ("image", "audio") or None (tabular, typed, computed).
    media: str | None = None
    # A score computed from the check-in itself rather than from an upload: the dotted path of
    # a function ``(check-in) -> float | None`` (e.g. a workload score from the self-report).
    scorer: str | None = None
    on_worker: bool = False
    on_device: bool = False
    # Default FlowScore weight (``FLOW_WEIGHT_<KEY>`` overrides it); 0: not a component.
    flow_weight: float = 0.0
    # May a team's noised mean of it be published to managers?
    publishable: bool = False
    # Smallest spread of a personal baseline (in the indicator's unit); None: no baseline.
    baseline_floor: float | None = None
    # How charts and tables print a value: ".0%" for probabilities, ".1f" for points.
    value_format: str = ".0%"
    chart_color: str = "#555555"
    # An integer figure (self-reports such as a meeting count).
    integer: bool = False

    @property
    def higher_is_better(self) -> bool:
        return self.worse == Worse.LOWER

    @property
    def weight_setting(self) -> str:
        return f"FLOW_WEIGHT_{self.key.upper()}"


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        key="flow_score",
        label="FlowScore",
        unit="points",
        low=0.0,
        high=100.0,
        worse=Worse.LOWER,
        category=Category.DERIVED,
        stored=Stored.SCORE,
        why="The weighted mean of the active components' risks, as 0-100 (higher is better).",
        publishable=True,
        baseline_floor=3.0,
        value_format=".1f",
        chart_color="#2f5d8a",
    ),
    Indicator(
        key="fatigue",
        label="Fatigue",
        unit="probability",
        low=0.0,
        high=1.0,
        worse=Worse.HIGHER,
        category=Category.PHYSICAL,
        stored=Stored.SCORE,
        why="Eye closure and yawning on the face: a physical state, which the AI Act "
        "(Recital 18) does not count as an emotion.",
        model_kind="fatigue",
        media="image",
        on_worker=True,
        on_device=True,
        flow_weight=0.3,
        publishable=True,
        baseline_floor=0.03,
        chart_color="#e07b39",
    ),
    Indicator(
        key="stress",
        label="Voice stress",
        unit="probability",
        low=0.0,
        high=1.0,
        worse=Worse.HIGHER,
        category=Category.EMOTION,
        stored=Stored.SCORE,
        why="Inferred from the voice, trained on acted emotions (angry, fearful, sad, "
        "disgusted): emotion recognition from biometric data (AI Act Art. 3(39)).",
        model_kind="voice",
        media="audio",
        on_worker=True,
        on_device=True,
        flow_weight=0.3,
        publishable=True,
        baseline_floor=0.03,
        chart_color="#b42318",
    ),
    Indicator(
        key="burnout",
        label="Burnout risk",
        unit="probability",
        low=0.0,
        high=1.0,
        worse=Worse.HIGHER,
        category=Category.DERIVED,
        stored=Stored.SCORE,
        why="A tabular model over the profile, the self-report and today's active scores.",
        model_kind="burnout",
        on_worker=True,
        flow_weight=0.4,
        publishable=True,
        baseline_floor=0.03,
        chart_color="#7c3aed",
    ),
    Indicator(
        key="hours_worked",
        label="Hours worked",
        unit="hours",
        low=0.0,
        high=24.0,
        worse=Worse.HIGHER,
        category=Category.WORKLOAD,
        stored=Stored.SELF_REPORT,
        why="Typed in by the person: how long they worked.",
        value_format=".1f",
    ),
    Indicator(
        key="sleep_hours",
        label="Hours slept",
        unit="hours",
        low=0.0,
        high=24.0,
        worse=Worse.LOWER,
        category=Category.SELF_REPORT,
        stored=Stored.SELF_REPORT,
        why="Typed in by the person: how long they slept.",
        value_format=".1f",
    ),
    Indicator(
        key="meeting_count",
        label="Meetings",
        unit="meetings",
        low=0.0,
        high=50.0,
        worse=Worse.HIGHER,
        category=Category.WORKLOAD,
        stored=Stored.SELF_REPORT,
        why="Typed in by the person: how many meetings they had.",
        value_format="d",
        integer=True,
    ),
    Indicator(
        key="calendar_meeting_count",
        label="Meetings (calendar)",
        unit="meetings",
        low=0.0,
        high=100.0,
        worse=Worse.HIGHER,
        category=Category.WORKLOAD,
        stored=Stored.DAY_FIGURE,
        why="Meetings accepted in the person's calendar: how much work is scheduled, not how "
        "anyone feels.",
        value_format="d",
        integer=True,
    ),
    Indicator(
        key="meeting_hours",
        label="Meeting hours",
        unit="hours",
        low=0.0,
        high=24.0,
        worse=Worse.HIGHER,
        category=Category.WORKLOAD,
        stored=Stored.DAY_FIGURE,
        why="Time in accepted meetings, from the person's calendar: workload.",
        value_format=".1f",
        chart_color="#0f766e",
    ),
    Indicator(
        key="after_hours_meeting_hours",
        label="After-hours meeting hours",
        unit="hours",
        low=0.0,
        high=24.0,
        worse=Worse.HIGHER,
        category=Category.WORKLOAD,
        stored=Stored.DAY_FIGURE,
        why="Meeting time outside the person's working hours, from their calendar: workload.",
        value_format=".1f",
    ),
    Indicator(
        key="longest_focus_hours",
        label="Longest focus block",
        unit="hours",
        low=0.0,
        high=24.0,
        worse=Worse.LOWER,
        category=Category.WORKLOAD,
        stored=Stored.DAY_FIGURE,
        why="The longest meeting-free stretch of the working day, from the calendar: workload.",
        value_format=".1f",
    ),
    Indicator(
        key="back_to_back_meetings",
        label="Back-to-back meetings",
        unit="meetings",
        low=0.0,
        high=100.0,
        worse=Worse.HIGHER,
        category=Category.WORKLOAD,
        stored=Stored.DAY_FIGURE,
        why="Meetings starting within minutes of the previous one's end, from the calendar: "
        "workload.",
        value_format="d",
        integer=True,
    ),
    Indicator(
        key="mental_fatigue",
        label="Mental fatigue",
        unit="0-10",
        low=0.0,
        high=10.0,
        worse=Worse.HIGHER,
        category=Category.SELF_REPORT,
        stored=Stored.SELF_REPORT,
        why="Typed in by the person on a 0-10 scale: their own account, not an inference.",
        value_format=".1f",
    ),
)

BY_KEY: dict[str, Indicator] = {indicator.key: indicator for indicator in INDICATORS}


def profile() -> str:
    """The lawful profile this deployment runs under (``SIGNAL_PROFILE``)."""
    return str(getattr(settings, "SIGNAL_PROFILE", "standard"))


def excluded_categories(name: str | None = None) -> frozenset[Category]:
    return PROFILES[name or profile()]


def get(key: str) -> Indicator:
    return BY_KEY[key]


def is_active(key: str) -> bool:
    return BY_KEY[key].category not in excluded_categories()


def active() -> tuple[Indicator, ...]:
    """Every indicator the current profile computes, stores and shows, in declaration order."""
    excluded = excluded_categories()
    return tuple(i for i in INDICATORS if i.category not in excluded)


def inactive() -> tuple[Indicator, ...]:
    """The indicators the current profile leaves out (what the purge command erases)."""
    excluded = excluded_categories()
    return tuple(i for i in INDICATORS if i.category in excluded)


def keys(indicators: Iterable[Indicator]) -> tuple[str, ...]:
    return tuple(i.key for i in indicators)


def scores() -> tuple[Indicator, ...]:
    """Active scores (stored on check-ins and days): FlowScore first, then components."""
    return tuple(i for i in active() if i.stored == Stored.SCORE)


def score_keys() -> tuple[str, ...]:
    return keys(scores())


def all_score_keys() -> tuple[str, ...]:
    """Every declared score, active or not: the columns that exist in the database."""
    return tuple(i.key for i in INDICATORS if i.stored == Stored.SCORE)


def self_reports() -> tuple[Indicator, ...]:
    return tuple(i for i in active() if i.stored == Stored.SELF_REPORT)


def self_report_keys() -> tuple[str, ...]:
    return keys(self_reports())


def day_figures() -> tuple[Indicator, ...]:
    """Active figures of whole days read from a connected source (the calendar)."""
    return tuple(i for i in active() if i.stored == Stored.DAY_FIGURE)


def day_figure_keys() -> tuple[str, ...]:
    return keys(day_figures())


def components() -> tuple[Indicator, ...]:
    """Active FlowScore components (a positive default weight)."""
    return tuple(i for i in active() if i.flow_weight > 0)


def component_keys() -> tuple[str, ...]:
    return keys(components())


def flow_weights() -> dict[str, float]:
    """Weights of the active components: ``FLOW_WEIGHTS`` (from the environment) over the
    declared defaults. An inactive component has no weight, so the rest renormalise."""
    configured = getattr(settings, "FLOW_WEIGHTS", {})
    return {i.key: float(configured.get(i.key, i.flow_weight)) for i in components()}


def default_flow_weights() -> dict[str, float]:
    """Every declared component's default weight (the settings read this once)."""
    return {i.key: i.flow_weight for i in INDICATORS if i.flow_weight > 0}


def published() -> tuple[Indicator, ...]:
    """Active indicators whose noised team mean may be published to managers."""
    return tuple(i for i in scores() if i.publishable)


def published_keys() -> tuple[str, ...]:
    return keys(published())


def with_baseline() -> tuple[Indicator, ...]:
    return tuple(i for i in scores() if i.baseline_floor is not None)


def model_kinds() -> tuple[str, ...]:
    """The ModelVersion kinds the active indicators need, in declaration order."""
    return tuple(dict.fromkeys(i.model_kind for i in active() if i.model_kind))


def device_kinds() -> dict[str, str]:
    """{model kind: indicator key} of active indicators a browser may score itself."""
    return {i.model_kind: i.key for i in active() if i.on_device and i.model_kind}


def media_needed() -> tuple[str, ...]:
    """The uploads ("image", "audio") some active indicator reads."""
    return tuple(dict.fromkeys(i.media for i in active() if i.media))


def needs_media(media: str) -> bool:
    return media in media_needed()
