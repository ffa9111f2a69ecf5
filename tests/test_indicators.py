"""The indicator registry is consistent with the schema, the models and the profiles."""

from __future__ import annotations

import pytest
from django.utils.module_loading import import_string

from inference.registry import KINDS
from metrics.flowscore import flow_score
from metrics.models import CheckIn, DailyMetric
from resonance import indicators
from teams.models import PublishedTeamPeriod


def _columns(model: type) -> set[str]:
    return {field.name for field in model._meta.concrete_fields}


def test_keys_are_unique_and_ranges_sane():
    keys = [i.key for i in indicators.INDICATORS]
    assert len(keys) == len(set(keys))
    for item in indicators.INDICATORS:
        assert item.low < item.high, item.key
        assert item.why and item.label, item.key


def test_every_score_has_its_columns_and_every_self_report_its_field():
    for item in indicators.INDICATORS:
        if item.stored == indicators.Stored.DAY_FIGURE:
            continue  # stored by the app that reads it (calendars/tests/test_registry.py)
        assert item.key in _columns(CheckIn), item.key
        if item.stored == indicators.Stored.SCORE:
            assert item.key in _columns(DailyMetric), item.key
        if item.publishable:
            assert item.key in _columns(PublishedTeamPeriod), item.key


def test_what_produces_each_indicator_exists():
    for item in indicators.INDICATORS:
        if item.model_kind:
            assert item.model_kind in KINDS, item.key
        if item.scorer:
            assert callable(import_string(item.scorer)), item.key
        if item.media:
            assert item.media in ("image", "audio") and item.model_kind, item.key


def test_the_standard_profile_computes_everything_with_the_documented_weights(settings):
    settings.SIGNAL_PROFILE = "standard"
    assert indicators.inactive() == ()
    assert indicators.flow_weights() == {"fatigue": 0.3, "stress": 0.3, "burnout": 0.4}
    assert indicators.media_needed() == ("image", "audio")


def test_eu_leaves_out_every_emotion_indicator_and_nothing_else(settings):
    settings.SIGNAL_PROFILE = "eu"
    left_out = {i.key for i in indicators.inactive()}
    emotions = {i.key for i in indicators.INDICATORS if i.category == indicators.Category.EMOTION}
    assert left_out == emotions == {"stress"}
    assert "stress" not in indicators.score_keys()
    assert "stress" not in indicators.published_keys()
    assert indicators.model_kinds() == ("fatigue", "burnout")


@pytest.mark.parametrize(("profile", "expected"), [("standard", 45.0), ("eu", 55.7)])
def test_the_flowscore_renormalises_over_what_the_profile_computes(settings, profile, expected):
    settings.SIGNAL_PROFILE = profile
    components = {"fatigue": 0.5, "stress": 0.8, "burnout": 0.4}
    active = {k: v for k, v in components.items() if k in indicators.component_keys()}
    # standard: risk 0.15 + 0.24 + 0.16 = 0.55; eu: (0.15 + 0.16) / 0.7 = 0.443
    assert flow_score(active, indicators.flow_weights()) == expected


def test_an_unknown_profile_is_refused():
    with pytest.raises(KeyError):
        indicators.excluded_categories("lenient")
