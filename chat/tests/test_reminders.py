"""The daily check-in reminder in Slack and Teams: in the employee's own time zone, once a
day, never after a check-in, never to someone who turned it off."""

import datetime as dt

import pytest

from chat.models import ChatDelivery, ChatRecipient
from chat.services import chat_reminders_queue, zones_by_local_date
from metrics.models import CheckIn, DailyMetric
from tests.factories import UserFactory

from .conftest import in_slack, slack_id, with_teams_webhook

pytestmark = pytest.mark.django_db

# 08:00 UTC: 17:00 in Tokyo (due from 16:00), 03:00 in New York (not yet).
MORNING_UTC = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
# 22:00 UTC: 17:00 in New York (due), 07:00 the next day in Tokyo (not yet).
EVENING_UTC = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run(now: dt.datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return chat_reminders_queue(now=now)

    return run


@pytest.fixture
def tokyo(team):
    return UserFactory(username="kenji", team=team, time_zone="Asia/Tokyo")


@pytest.fixture
def new_york(team):
    return UserFactory(username="nora", team=team, time_zone="America/New_York")


def test_it_reminds_each_employee_in_their_own_time_zone(chat, tokyo, new_york, remind):
    in_slack(chat, tokyo, new_york)

    assert remind(MORNING_UTC) == 1
    assert len(chat.slack_dms_to(slack_id(tokyo))) == 1
    assert chat.slack_dms_to(slack_id(new_york)) == []

    assert remind(EVENING_UTC) == 1
    assert len(chat.slack_dms_to(slack_id(new_york))) == 1
    assert len(chat.slack_dms_to(slack_id(tokyo))) == 1  # Tokyo's next day is not due yet

    message = chat.slack_dms_to(slack_id(tokyo))[0].body
    assert "You have not checked in today" in message["text"]
    assert message["blocks"][0]["text"]["text"] == "Your daily check-in"
    assert message["blocks"][-1]["elements"][0]["url"] == "https://resonance.example.com/checkin/"
    delivery = ChatDelivery.objects.get(recipient=tokyo)
    assert (delivery.status, delivery.attempts, delivery.kind) == ("sent", 1, "reminder")


def test_it_reminds_at_most_once_a_day(chat, tokyo, remind):
    in_slack(chat, tokyo)
    assert remind(MORNING_UTC) == 1
    assert remind(MORNING_UTC + dt.timedelta(hours=1)) == 0
    assert len(chat.slack_dms_to(slack_id(tokyo))) == 1
    # Its next local day brings the next reminder.
    assert remind(MORNING_UTC + dt.timedelta(days=1)) == 1
    assert len(chat.slack_dms_to(slack_id(tokyo))) == 2


def test_it_never_reminds_someone_who_turned_chat_reminders_off(chat, tokyo, remind):
    in_slack(chat, tokyo)
    ChatRecipient.objects.create(user=tokyo, reminders_enabled=False)
    assert remind(MORNING_UTC) == 0
    assert chat.calls("/api/chat.postMessage") == []


def test_it_never_reminds_someone_who_checked_in_that_local_day(chat, tokyo, new_york, remind):
    in_slack(chat, tokyo, new_york)
    DailyMetric.objects.create(user=tokyo, team=tokyo.team, date=dt.date(2026, 12, 7))
    # A check-in still being scored counts too.
    CheckIn.objects.create(user=new_york, local_date=dt.date(2026, 12, 7))
    assert remind(MORNING_UTC) == 0
    assert remind(EVENING_UTC) == 0
    assert chat.calls("/api/chat.postMessage") == []


def test_only_consenting_active_employees_are_reminded(chat, team, manager, remind):
    no_consent = UserFactory(team=team, time_zone="Asia/Tokyo", biometric_consent_at=None)
    gone = UserFactory(team=team, time_zone="Asia/Tokyo", is_active=False)
    manager.time_zone = "Asia/Tokyo"
    manager.save()
    in_slack(chat, no_consent, gone, manager)
    assert remind(MORNING_UTC) == 0
    assert chat.calls("/api/chat.postMessage") == []


def test_a_teams_webhook_gets_the_reminder_as_an_adaptive_card(chat, tokyo, remind):
    with_teams_webhook(chat, tokyo)  # and no Slack account: Slack fails, Teams still gets it
    remind(MORNING_UTC)

    [post] = chat.teams_posts("kenji")
    card = post.body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == "Your daily check-in"
    assert card["content"]["actions"][0]["url"] == "https://resonance.example.com/checkin/"
    slack = ChatDelivery.objects.get(recipient=tokyo, destination="slack")
    assert slack.status == "failed"
    assert "users_not_found" in slack.last_error and "email address" in slack.last_error


def test_the_local_hour_decides_which_zones_are_due():
    due = zones_by_local_date(
        now=MORNING_UTC,
        zones=["Asia/Tokyo", "America/New_York", "Pacific/Kiritimati", "Not/AZone"],
        from_hour=16,
    )
    # Kiritimati (UTC+14) is at 22:00 on the same day as Tokyo.
    assert due == {dt.date(2026, 12, 7): ["Asia/Tokyo", "Pacific/Kiritimati"]}
