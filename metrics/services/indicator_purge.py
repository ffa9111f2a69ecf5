"""Erasing what the active profile does not compute (``SIGNAL_PROFILE=eu``: voice stress).

A deployment that moves to a stricter profile must not keep what it may no longer compute:
hiding stored emotion values would keep data that the person's own export no longer shows.
``stored_inactive_values`` counts what is left; ``inactive_values_purge`` erases it from
check-ins and days, and rebuilds what was derived from it (the FlowScore over the remaining
components, the burnout score where the erased value stood in for the self-report). Uploads
that no active indicator reads (voice clips) are deleted too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from metrics.flowscore import coach_message, flow_score
from metrics.models import CheckIn, DailyMetric
from resonance import indicators

from .media import media_files_delete
from .scoring import burnout_score_for, daily_metric_recompute

logger = logging.getLogger(__name__)

MEDIA_FIELDS = ("image", "audio")


def _inactive_score_keys() -> tuple[str, ...]:
    return tuple(i.key for i in indicators.inactive() if i.stored == indicators.Stored.SCORE)


def _unused_media() -> tuple[str, ...]:
    return tuple(m for m in MEDIA_FIELDS if not indicators.needs_media(m))


def _any_value(keys: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for key in keys:
        condition |= Q(**{f"{key}__isnull": False})
    return condition


def _any_file(media: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for name in media:
        condition |= ~Q(**{name: ""})
    return condition


@dataclass
class PurgeCounts:
    """Rows (and files) holding something the active profile does not compute."""

    checkins: int = 0
    daily_metrics: int = 0
    media_files: int = 0
    by_indicator: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.checkins + self.daily_metrics + self.media_files


def inactive_values_remain() -> bool:
    """Whether any check-in or day holds a value of an inactive indicator, or any check-in an
    upload no active indicator reads (``EXISTS`` queries, stopping at the first row: what the
    start-up check asks; the columns carry no index, so an empty answer reads each table)."""
    keys = _inactive_score_keys()
    if keys and (
        CheckIn.objects.filter(_any_value(keys)).exists()
        or DailyMetric.objects.filter(_any_value(keys)).exists()
    ):
        return True
    media = _unused_media()
    return bool(media) and CheckIn.objects.filter(_any_file(media)).exists()


def stored_inactive_values() -> PurgeCounts:
    """Count check-ins and days that hold a value of an inactive indicator, and uploads no
    active indicator reads (COUNT queries for the purge command's report; no writes)."""
    keys = _inactive_score_keys()
    counts = PurgeCounts()
    if keys:
        counts.checkins = CheckIn.objects.filter(_any_value(keys)).count()
        counts.daily_metrics = DailyMetric.objects.filter(_any_value(keys)).count()
        for key in keys:
            counts.by_indicator[key] = (
                CheckIn.objects.filter(**{f"{key}__isnull": False}).count()
                + DailyMetric.objects.filter(**{f"{key}__isnull": False}).count()
            )
    media = _unused_media()
    if media:
        counts.media_files = sum(CheckIn.objects.exclude(**{name: ""}).count() for name in media)
    return counts


def _checkin_without(checkin: CheckIn, keys: tuple[str, ...]) -> dict[str, object]:
    """The fields to write on a check-in once ``keys`` are erased from it."""
    changes: dict[str, object] = dict.fromkeys(keys)
    kinds = {i.model_kind for i in indicators.inactive() if i.model_kind}
    changes["model_versions"] = {
        kind: version for kind, version in checkin.model_versions.items() if kind not in kinds
    }
    if checkin.status != CheckIn.Status.DONE:
        return changes
    remaining = {
        key: getattr(checkin, key) for key in indicators.component_keys() if key != "burnout"
    }
    burnout = checkin.burnout
    # Without a self-report the burnout model read the model scores, the erased one included.
    if checkin.mental_fatigue is None and burnout is not None:
        on_date = checkin.local_date or timezone.localdate(checkin.created_at)
        result = burnout_score_for(
            user=checkin.user,
            on_date=on_date,
            hours_worked=checkin.hours_worked,
            mental_fatigue=None,
            model_scores=remaining,
        )
        burnout = result.score
        changes["burnout"] = burnout
        changes["model_versions"]["burnout"] = result.model_version  # type: ignore[index]
    components = {**remaining, "burnout": burnout}
    changes["flow_score"] = flow_score(components, indicators.flow_weights())
    return changes


def inactive_values_purge(*, batch_size: int = 500) -> PurgeCounts:
    """Erase every stored value of an inactive indicator and every unused upload.

    Check-ins lose the value (and the version of the model that produced it); a scored
    check-in's burnout score is recomputed where it read the erased value, and its FlowScore
    over the remaining components. Each affected day is rebuilt from its check-ins; a day
    without check-ins (imported or demo history) keeps its other components and gets its
    FlowScore recomputed. Raises ``ModelUnavailable`` when a burnout score must be recomputed
    and no burnout model is active (nothing of that batch is written). Returns what it
    erased. Safe to run again: a second run finds nothing.
    """
    erased = stored_inactive_values()
    keys = _inactive_score_keys()
    media = _unused_media()
    days: set[tuple[int, dt.date]] = set()
    if keys:
        while True:
            batch = list(
                CheckIn.objects.filter(_any_value(keys))
                .select_related("user")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            with transaction.atomic():
                for checkin in batch:
                    CheckIn.objects.filter(pk=checkin.pk).update(
                        **_checkin_without(checkin, keys), updated_at=timezone.now()
                    )
                    if checkin.local_date is not None:
                        days.add((checkin.user_id, checkin.local_date))
        for user_id, on_date in sorted(days):
            with transaction.atomic():
                user = User.objects.select_for_update().get(pk=user_id)
                daily_metric_recompute(user=user, on_date=on_date)
        _days_without_checkins_purge(keys, batch_size=batch_size)
    for name in media:
        while True:
            rows = list(CheckIn.objects.exclude(**{name: ""}).values_list("pk", name)[:batch_size])
            if not rows:
                break
            media_files_delete(file_name for _, file_name in rows)
            CheckIn.objects.filter(pk__in=[pk for pk, _ in rows]).update(**{name: ""})
    logger.info("Erased values of inactive indicators: %s", erased)
    return erased


def _days_without_checkins_purge(keys: tuple[str, ...], *, batch_size: int) -> None:
    components = indicators.component_keys()
    while True:
        rows = list(
            DailyMetric.objects.filter(_any_value(keys)).values("pk", *components)[:batch_size]
        )
        if not rows:
            return
        with transaction.atomic():
            for row in rows:
                score = flow_score({key: row[key] for key in components}, indicators.flow_weights())
                DailyMetric.objects.filter(pk=row["pk"]).update(
                    **dict.fromkeys(keys),
                    flow_score=score,
                    coach_message=coach_message(score),
                    updated_at=timezone.now(),
                )
