"""A curious manager with the API, the pages and a spreadsheet: every known attack, tried.

Each test plays the attacker through the public endpoints (the heatmap API, the CSV export,
the dashboard page, the alerts API) with the default privacy settings, and checks that what
the attacker can compute is no better than a guess: either the two views they would subtract
are identical, or the estimate misses the person's true FlowScore by more than GUESS points
in most trials.
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.services.evaluation import alerts_evaluate, alerts_evaluate_for_user
from metrics.models import CheckIn, DailyMetric
from metrics.tasks import score_checkin
from metrics.tests.media import audio_upload, image_upload
from metrics.views import ERASE_CONFIRMATION
from teams.privacy import AT_RISK_BANDS, PARTICIPATION_BANDS
from teams.tests.helpers import (
    add_day,
    add_members,
    closing_time,
    last_week_end,
    publish,
    week_of,
)
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

GUESS = 10.0  # FlowScore points: an estimate closer than this would be a real leak
TRIALS = 60
TARGET_FLOW = 16.2
PARTICIPATION_LABELS = {label for _, label, _ in PARTICIPATION_BANDS} | {""}
AT_RISK_LABELS = {label for _, label in AT_RISK_BANDS}
D1, D2 = dt.date(2026, 3, 8), dt.date(2026, 3, 15)  # two Sundays: two consecutive weeks


def heatmap(client, team, date_from: dt.date, date_to: dt.date, metric="flow_score") -> dict:
    response = client.get(
        f"/api/v1/teams/{team.id}/heatmap/",
        {"from": str(date_from), "to": str(date_to), "metric": metric},
    )
    assert response.status_code == 200
    return response.json()


def value_on(payload: dict, day: dt.date) -> float | None:
    """The value of the cell of the period holding ``day``."""
    return next(c["value"] for c in payload["cells"] if c["date"] == str(week_of(day)))


def everything_a_manager_sees(api, browser, team, *, days: int = 30) -> dict:
    """The API for every metric, the CSV and the page figure for the last ``days`` days."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    views = {
        metric: heatmap(api, team, start, today, metric)
        for metric in ("flow_score", "fatigue", "stress", "burnout", "participation")
    }
    views["csv"] = browser.get(reverse("teams:dashboard-csv"), {"days": days}).content.decode()
    page = browser.get(reverse("teams:dashboard"), {"days": days})
    views["page"] = [page.context["heatmap"], page.context["summaries"]]
    views["alerts"] = api.get("/api/v1/alerts/").json()
    return views


def assert_only_bands(payload: dict) -> None:
    """No exact count or participation ratio anywhere in a heatmap payload."""
    for cell in payload["cells"]:
        assert cell["participation"] in PARTICIPATION_LABELS
        assert re.fullmatch(
            r"fewer than \d+|\d+-\d+ people|\d+\+ people|not published", cell["contributors"]
        )


def check_in_through_the_api(api_client_for, user) -> CheckIn:
    response = api_client_for(user).post(
        "/api/v1/sync/", {"image": image_upload(), "audio": audio_upload()}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    return CheckIn.objects.get(pk=response.json()["id"])


@pytest.fixture
def watched(team, manager, client):
    client.force_login(manager)
    return team


def test_live_differencing_sees_nothing_of_today(
    tiny_models, watched, manager, api_client_for, client
):
    """Attack 1: five of six check in, the sixth later; today's cell is never shown, so
    ``6 x new - 5 x old`` has nothing to work on, and the two views are the same."""
    team = watched
    members = add_members(team, 6)
    for member in members[:5]:
        score_checkin.run(check_in_through_the_api(api_client_for, member).pk)
    api = api_client_for(manager)
    before = everything_a_manager_sees(api, client, team)

    score_checkin.run(check_in_through_the_api(api_client_for, members[5]).pk)
    after = everything_a_manager_sees(api, client, team)

    assert DailyMetric.objects.filter(team=team, date=timezone.localdate()).count() == 6
    assert after == before
    today_cell = after["flow_score"]["cells"][-1]
    assert today_cell["status"] == "unpublished"
    assert today_cell["value"] is None and today_cell["participation"] == ""
    for metric in ("flow_score", "participation"):
        assert_only_bands(after[metric])


def test_differencing_two_published_weeks_misses_by_more_than_a_guess(manager, api_client_for):
    """Attack 1, after publication: five people the same both weeks, a sixth in the second.
    The attacker's ``6 x week2 - 5 x week1`` misses the sixth person's score in most trials."""
    api = api_client_for(manager)
    misses = 0
    for trial in range(TRIALS):
        team = TeamFactory(name=f"diff-{trial}")
        team.managers.add(manager)
        five, sixth = add_members(team, 5), add_members(team, 1, prefix=f"late{trial}-")
        add_day(five, D1, flow=70.0)
        add_day(five, D2, flow=70.0)
        add_day(sixth, D2, flow=TARGET_FLOW)
        publish(through=D2, team_ids=[team.id])
        payload = heatmap(api, team, D1, D2)
        assert_only_bands(payload)
        estimate = 6 * value_on(payload, D2) - 5 * value_on(payload, D1)
        misses += abs(estimate - TARGET_FLOW) > GUESS
    assert misses > TRIALS / 2, f"the estimate was within {GUESS} points in {TRIALS - misses}"


def test_collusion_knowing_four_of_five_misses_by_more_than_a_guess(manager, api_client_for):
    """The manager knows four members' scores (they shared them) and wants the fifth's."""
    api = api_client_for(manager)
    known = [60.0, 65.0, 70.0, 75.0]
    misses = 0
    for trial in range(TRIALS):
        team = TeamFactory(name=f"collude-{trial}")
        team.managers.add(manager)
        members = add_members(team, 5)
        for member, flow in zip(members, [*known, TARGET_FLOW], strict=True):
            add_day([member], D2, flow=flow)
        publish(through=D2, team_ids=[team.id])
        estimate = 5 * value_on(heatmap(api, team, D2, D2), D2) - sum(known)
        misses += abs(estimate - TARGET_FLOW) > GUESS
    assert misses > TRIALS / 2, f"the estimate was within {GUESS} points in {TRIALS - misses}"


def published_history(team, *, members: int = 6, days: int = 27, base: float = 40.0) -> list:
    """``days`` days ending with the last closed week, published (every member checked in
    every day)."""
    people = add_members(team, members)
    last = last_week_end(timezone.localdate())
    for back in range(days):
        for index, person in enumerate(people):
            add_day([person], last - dt.timedelta(days=back), flow=base + 7 * index)
    publish(through=last)
    return people


def test_erasure_does_not_rewrite_history(watched, manager, api_client_for, client):
    """Attack 2: save four weeks, one member erases their data, look again: nothing moved."""
    people = published_history(watched)
    api = api_client_for(manager)
    before = everything_a_manager_sees(api, client, watched)

    client.force_login(people[0])
    response = client.post(reverse("metrics:my-data-erase"), {"confirm": ERASE_CONFIRMATION})
    assert response.status_code == 302
    assert not DailyMetric.objects.filter(user=people[0]).exists()
    client.force_login(manager)

    assert everything_a_manager_sees(api, client, watched) == before


@pytest.mark.parametrize("change", ["late_checkin", "team_move", "time_zone"])
def test_published_days_ignore_later_changes(
    tiny_models, watched, manager, api_client_for, client, change
):
    """Late-scored check-ins, a member moving team or changing time zone: views stay put."""
    people = published_history(watched)
    api = api_client_for(manager)
    before = everything_a_manager_sees(api, client, watched)
    published_day = last_week_end(timezone.localdate())

    if change == "late_checkin":
        # Submitted before midnight on a published day, scored after publication.
        late = add_members(watched, 1, prefix="late")[0]
        checkin = check_in_through_the_api(api_client_for, late)
        CheckIn.objects.filter(pk=checkin.pk).update(local_date=published_day)
        score_checkin.run(checkin.pk)
        assert DailyMetric.objects.filter(user=late, date=published_day).exists()
    elif change == "team_move":
        people[0].team = TeamFactory(name="Elsewhere")
        people[0].save()
    else:
        people[0].time_zone = "Pacific/Pago_Pago"
        people[0].save()
    publish(through=timezone.localdate() - dt.timedelta(days=1))

    after = everything_a_manager_sees(api, client, watched)

    def published_then(views: dict, view: str) -> list:
        """The cells that were published in the first look (later periods may close since)."""
        if view == "csv":
            rows = list(csv.DictReader(io.StringIO(views[view])))
            earlier = list(csv.DictReader(io.StringIO(before[view])))
            shown = {r["date"] for r in earlier if "not published yet" not in r["note"]}
            return [r for r in rows if r["date"] in shown]
        shown = {c["date"] for c in before[view]["cells"] if c["status"] != "unpublished"}
        return [c for c in views[view]["cells"] if c["date"] in shown]

    assert any(c["status"] == "published" for c in before["flow_score"]["cells"])
    for view in ("flow_score", "fatigue", "stress", "burnout", "participation", "csv"):
        assert published_then(after, view) == published_then(before, view), view
    assert after["alerts"] == before["alerts"]


def test_team_alerts_do_not_move_with_a_lone_checkin_on_a_hidden_day(
    tiny_models, noiseless, watched, manager, api_client_for
):
    """Attack 3: a team alert re-read after one person's check-in on an unpublished day.
    Structural: the two reads are compared whole, so the noise is turned down to make sure
    the published history raises the alert in the first place."""
    people = published_history(watched, days=14, base=20.0)  # team mean about 37
    today = timezone.localdate()
    alerts_evaluate(on_date=today)
    api = api_client_for(manager)
    before = api.get("/api/v1/alerts/").json()
    assert before, "the published history is low enough to raise a team alert"

    score_checkin.run(check_in_through_the_api(api_client_for, people[0]).pk)
    alerts_evaluate_for_user(user_id=people[0].pk, on_date=today)
    alerts_evaluate(on_date=today)
    after = api.get("/api/v1/alerts/").json()

    assert after == before
    text = str(after)
    assert "contributor" not in text
    assert not re.search(r"\b[0-9]+ (people|members|contributors)\b", text)


def test_no_manager_view_shows_an_exact_count_or_ratio(watched, manager, api_client_for, client):
    published_history(watched, members=6, days=10)
    api = api_client_for(manager)
    views = everything_a_manager_sees(api, client, watched)

    for metric in ("flow_score", "participation"):
        assert_only_bands(views[metric])
    rows = list(csv.DictReader(io.StringIO(views["csv"])))
    assert {r["participation"] for r in rows} <= PARTICIPATION_LABELS
    assert all(not re.fullmatch(r"[0-9.]+", r["contributors"]) for r in rows)
    # 6 of 6 would be exactly 100%; 5 of 6 would be 83%: neither appears anywhere.
    page = client.get(reverse("teams:dashboard"), {"days": 30}).content.decode()
    for exact in ("0.8333", "83%", "100%", "1.0,"):
        assert exact not in page
    closing = closing_time(timezone.localdate())
    assert closing > timezone.now()  # today has not closed: its cell stays empty
    assert views["flow_score"]["cells"][-1]["value"] is None
