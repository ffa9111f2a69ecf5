"""The employee's pages under each lawful profile (``SIGNAL_PROFILE``).

Under ``eu`` voice stress is an emotion inference the AI Act prohibits at work: the pages
neither ask for a voice clip nor show a stress score, even one stored before the switch.
Under ``standard`` they offer and show both, as they always did.
"""

import datetime as dt
import json
import re

import pytest
from django.test import override_settings

from metrics.charts import NO_VALUE, format_value, risk_label, trends_figure
from metrics.models import CheckIn, DailyMetric
from metrics.templatetags.indicator_values import score_of
from resonance import indicators

pytestmark = pytest.mark.django_db

# A stress value no other figure on the pages shares, so finding "83%" means it was shown.
STRESS = 0.83
FATIGUE = 0.37


def _text(html: str) -> str:
    """The page's visible words (tags and scripts dropped), in lower case."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).lower()


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def scored_days(employee):
    """Seven scored days and one check-in, each with a stress score (as if stored before the
    organisation switched to ``eu``)."""
    today = dt.date.today()
    for offset in range(7):
        DailyMetric.objects.create(
            user=employee,
            team=employee.team,
            date=today - dt.timedelta(days=offset),
            flow_score=60 + offset,
            fatigue=FATIGUE,
            stress=STRESS,
            burnout=0.45,
        )
    return CheckIn.objects.create(
        user=employee,
        status=CheckIn.Status.DONE,
        flow_score=61.5,
        fatigue=FATIGUE,
        stress=STRESS,
        burnout=0.45,
    )


# --- The check-in page ------------------------------------------------------------------------


@override_settings(SIGNAL_PROFILE="eu")
def test_it_offers_no_microphone_or_voice_clip_under_eu(client, employee):
    html = _page(client, employee, "/checkin/")
    assert 'id="camera-start"' in html and 'type="file" name="image"' in html
    assert 'data-needs-image="true"' in html and 'data-needs-audio="false"' in html
    for absent in ('id="mic-record"', 'name="audio"', 'id="part-voice"', 'id="result-stress"'):
        assert absent not in html
    words = _text(html)
    assert "voice" not in words and "stress" not in words and "microphone" not in words
    assert "a face photo. it is scored by our models, then deleted." in words
    assert "your photo is sent to resonance, scored, then deleted." in words
    assert 'data-indicator="fatigue"' in html and 'data-indicator="burnout"' in html


def test_it_offers_camera_and_microphone_under_standard(client, employee):
    html = _page(client, employee, "/checkin/")
    assert 'data-needs-image="true"' in html and 'data-needs-audio="true"' in html
    for present in ('id="mic-record"', 'type="file" name="audio"', 'id="part-voice"'):
        assert present in html
    for card in ("result-flow", "result-fatigue", "result-stress", "result-burnout"):
        assert f'id="{card}"' in html
    words = _text(html)
    assert "a face photo and a short voice clip (about 5 seconds), either or both." in words
    assert "voice stress" in words


@override_settings(SIGNAL_PROFILE="eu", PRIVATE_MODE="required")
def test_private_mode_says_only_the_photo_stays_on_the_device_under_eu(client, employee):
    words = _text(_page(client, employee, "/checkin/"))
    assert "your photo is scored here, on this device, and never leaves it." in words
    assert "voice" not in words


@override_settings(SIGNAL_PROFILE="eu")
def test_consent_is_asked_for_the_photo_only_under_eu(client, employee):
    employee.biometric_consent_at = None
    employee.save()
    checkin_words = _text(_page(client, employee, "/checkin/"))
    assert "check-ins need your consent to process a face photo." in checkin_words
    data_words = _text(_page(client, employee, "/me/data/"))
    assert "score a face photo (fatigue) when you check in" in data_words
    assert "voice" not in checkin_words and "voice" not in data_words
    assert "stress" not in data_words


@pytest.mark.parametrize("profile", ["standard", "eu"])
def test_my_data_names_only_the_media_the_profile_reads(client, employee, profile):
    with override_settings(SIGNAL_PROFILE=profile, PRIVATE_MODE="optional"):
        words = _text(_page(client, employee, "/me/data/"))
    if profile == "eu":
        assert "your face photos are scored and then deleted" in words
        assert "on the server: the photo is sent, scored, then deleted." in words
        assert "voice" not in words
    else:
        assert "your face photos and voice clips are scored and then deleted" in words
        assert "the photo and the voice clip are sent, scored, then deleted." in words


# --- Results and trends -------------------------------------------------------------------------


@override_settings(SIGNAL_PROFILE="eu")
def test_a_result_shows_no_stress_under_eu_even_if_one_was_stored(client, employee, scored_days):
    html = _page(client, employee, f"/checkin/{scored_days.pk}/")
    words = _text(html)
    assert 'id="result-flow"' in html and "61.5" in words
    assert "fatigue risk" in words and "37%" in words
    assert "83%" not in words and "stress" not in words


def test_a_result_shows_voice_stress_under_standard(client, employee, scored_days):
    words = _text(_page(client, employee, f"/checkin/{scored_days.pk}/"))
    assert "voice stress risk" in words and "83%" in words and "37%" in words


@override_settings(SIGNAL_PROFILE="eu")
def test_trends_show_no_stress_in_chart_tables_or_history_under_eu(client, employee, scored_days):
    html = _page(client, employee, "/me/trends/")
    words = _text(html)
    assert 'id="usual-table"' in html and 'id="checkin-history"' in html
    assert "stress" not in words and "83%" not in words
    assert "fatigue" in words and "37%" in words
    history = html[html.index('id="checkin-history"') :]
    headers = re.findall(r"<th[^>]*>([^<]+)</th>", history.split("</thead>")[0])
    assert headers == ["When", "Status", *(i.label for i in indicators.scores())]
    assert headers[2:5] == ["FlowScore", "Fatigue", "Burnout risk"]
    figure = json.loads(
        re.search(
            r'<script id="trends-figure" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    names = [t["name"] for t in figure["data"]]
    assert names[:3] == ["FlowScore", "Fatigue risk %", "Burnout risk %"]
    assert not any("stress" in name.lower() for name in names)
    assert all(83.0 not in (t["y"] or []) for t in figure["data"])


def test_trends_show_voice_stress_under_standard(client, employee, scored_days):
    html = _page(client, employee, "/me/trends/")
    usual = html[html.index('id="usual-table"') : html.index("</table>")]
    assert "Voice stress" in usual and "83%" in usual
    history = html[html.index('id="checkin-history"') :]
    assert '<th data-indicator="stress">Voice stress</th>' in history and "83%" in history


# --- Pure parts: the chart and the value formats -------------------------------------------------

ROWS = [
    {"date": dt.date(2026, 11, 1), "flow_score": 70.0, "fatigue": 0.25, "stress": 0.6},
    {"date": dt.date(2026, 11, 2), "flow_score": 55.0, "burnout": 0.5, "stress": 0.7},
]


def test_the_chart_draws_every_active_score_in_the_registry_colours():
    figure = trends_figure(ROWS)
    traces = {t["name"]: t for t in figure["data"]}
    assert list(traces)[:4] == [
        "FlowScore",
        "Fatigue risk %",
        "Voice stress risk %",
        "Burnout risk %",
    ]
    for indicator in indicators.scores():
        name = "FlowScore" if indicator.key == "flow_score" else f"{risk_label(indicator)} %"
        assert traces[name]["line"]["color"] == indicator.chart_color
    assert list(traces["Voice stress risk %"]["y"]) == [60.0, 70.0]


@override_settings(SIGNAL_PROFILE="eu")
def test_the_chart_leaves_out_stress_under_eu_whatever_the_rows_hold():
    figure = trends_figure(ROWS)
    names = [t["name"] for t in figure["data"]]
    assert names[:3] == ["FlowScore", "Fatigue risk %", "Burnout risk %"]
    assert not any("stress" in name.lower() for name in names)
    assert indicators.get("stress").chart_color not in json.dumps(figure)


def test_values_print_by_their_indicators_format():
    fatigue, flow, meetings = (
        indicators.get(k) for k in ("fatigue", "flow_score", "meeting_count")
    )
    assert format_value(0.37, fatigue) == "37%"
    assert format_value(64.54, flow) == "64.5"
    assert format_value(3.0, meetings) == "3"
    assert format_value(None, fatigue) == NO_VALUE
    assert score_of({"fatigue": 0.5}, fatigue) == "50%"
    assert score_of(object(), fatigue) == NO_VALUE
    assert [risk_label(indicators.get(k)) for k in ("flow_score", "fatigue", "burnout")] == [
        "FlowScore",
        "Fatigue risk",
        "Burnout risk",
    ]
