"""No person's spending ever passes a cap, whatever happens between publications.

Random sequences of check-ins, publications, late check-ins on published days, team moves,
time-zone changes and erasures, run against the real publication and ledger with caps small
enough to bind often. After every step: every person's spending is within the monthly and the
yearly cap, and every row published earlier is unchanged.
"""

import datetime as dt

from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from metrics.models import DailyMetric
from metrics.services.erasure import my_data_erase
from teams.models import PrivacySpend, PublishedTeamPeriod
from teams.publication import team_periods_publish
from tests.factories import TeamFactory, UserFactory

from .helpers import closing_time

START = dt.date(2025, 11, 3)  # a Monday; the sequences run into 2026 (two calendar years)
SPAN_DAYS = 110
PEOPLE = 8  # two teams of four: MIN_GROUP_SIZE is 3 here, so cells publish
CAP_MONTH, CAP_YEAR = 4.0, 9.0
ZONES = ("UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin")

checkin = st.tuples(
    st.just("checkin"),
    st.integers(0, PEOPLE - 1),
    st.integers(0, SPAN_DAYS),
    st.floats(0, 100, allow_nan=False),
)
publish = st.tuples(st.just("publish"), st.integers(0, SPAN_DAYS + 3))
move = st.tuples(st.just("move"), st.integers(0, PEOPLE - 1))
zone = st.tuples(st.just("zone"), st.integers(0, PEOPLE - 1), st.sampled_from(ZONES))
erase = st.tuples(st.just("erase"), st.integers(0, PEOPLE - 1))
# Check-ins come in bursts (a whole team on a day), so that cells reach MIN_GROUP_SIZE.
team_day = st.tuples(st.just("team_day"), st.integers(0, SPAN_DAYS))
steps = st.lists(
    st.one_of(team_day, team_day, team_day, team_day, checkin, publish, move, zone, erase),
    min_size=4,
    max_size=40,
)
FINALLY = ("publish", SPAN_DAYS + 3)  # whatever happened, everything closed gets published


@override_settings(
    PRIVACY_CAP_MONTH=CAP_MONTH,
    PRIVACY_CAP_YEAR=CAP_YEAR,
    PUBLICATION_LOOKBACK_DAYS=400,
    MIN_GROUP_SIZE=3,
)
class TestTheCapsHold(TestCase):
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(steps)
    def test_no_sequence_overspends_anyone(self, sequence):
        teams = [TeamFactory(name="Atlas"), TeamFactory(name="Borealis")]
        people = [UserFactory(team=teams[i % 2]) for i in range(PEOPLE)]
        published: dict[int, dict] = {}
        for step in [*sequence, FINALLY]:
            self._apply(step, people, teams)
            self._assert_within_caps()
            rows = {row["id"]: row for row in PublishedTeamPeriod.objects.values()}
            for pk, before in published.items():
                assert rows[pk] == before, "a published row changed"
            published = rows
        statuses = set(PublishedTeamPeriod.objects.values_list("status", flat=True))
        event(f"statuses: {', '.join(sorted(statuses)) or 'none'}")

    def _apply(self, step, people, teams) -> None:
        kind = step[0]
        if kind == "team_day":
            day = START + dt.timedelta(days=step[1])
            for index, person in enumerate(people):
                person.refresh_from_db()
                _check_in(person, day, flow=40.0 + 5 * index)
        elif kind == "checkin":
            person = people[step[1]]
            person.refresh_from_db()
            _check_in(person, START + dt.timedelta(days=step[2]), flow=step[3])
        elif kind == "publish":
            team_periods_publish(
                now=closing_time(START + dt.timedelta(days=step[1])), announce=False
            )
        elif kind == "move":
            person = people[step[1]]
            person.refresh_from_db()
            person.team = teams[1] if person.team_id == teams[0].pk else teams[0]
            person.save(update_fields=["team"])
        elif kind == "zone":
            person = people[step[1]]
            person.time_zone = step[2]
            person.save(update_fields=["time_zone"])
        else:
            my_data_erase(user=people[step[1]])

    def _assert_within_caps(self) -> None:
        by_year: dict[tuple[int, int], float] = {}
        for user_id, month, epsilon in PrivacySpend.objects.values_list(
            "user_id", "month", "epsilon"
        ):
            assert epsilon <= CAP_MONTH + 1e-9, f"{user_id} spent {epsilon} in {month:%Y-%m}"
            key = (user_id, month.year)
            by_year[key] = by_year.get(key, 0.0) + epsilon
        for (user_id, year), epsilon in by_year.items():
            assert epsilon <= CAP_YEAR + 1e-9, f"{user_id} spent {epsilon} in {year}"


def _check_in(person, day: dt.date, *, flow: float) -> None:
    """A scored day, as the worker writes it (a late one when the day is published already)."""
    DailyMetric.objects.get_or_create(
        user=person,
        date=day,
        defaults={
            "team_id": person.team_id,
            "flow_score": flow,
            "fatigue": 0.3,
            "stress": 0.3,
            "burnout": 0.3,
            "checkin_count": 1,
        },
    )
