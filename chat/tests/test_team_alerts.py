"""Team alerts reach the team's managers in Slack and Teams, as direct messages, with the
alert's published wording: never another team's manager, never an employee, never anyone's
own numbers."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import BurnoutAlert
from alerts.services import evaluation
from alerts.services.notifications import alerts_notify
from alerts.tests.conftest import ON, add_days
from chat.models import ChatDelivery, ChatRecipient
from tests.factories import AdminFactory, UserFactory

from .conftest import OWN_FLOWS, in_slack, slack_id, with_teams_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("noiseless")]


def test_a_team_alert_reaches_each_manager_of_the_team_and_nobody_else(
    chat, crew, manager, other_manager, raise_team_alert
):
    co_manager = UserFactory(role="manager", team=None, username="cora")
    crew[0].team.managers.add(co_manager)
    admin_manager = AdminFactory(username="adam")
    crew[0].team.managers.add(admin_manager)
    in_slack(chat, *crew, manager, co_manager, admin_manager, other_manager)
    with_teams_webhook(chat, manager)
    with_teams_webhook(chat, other_manager)

    alert = raise_team_alert()

    assert alert.rule == "team_low_flow"
    receivers = {m.body["channel"] for m in chat.slack_messages()}
    assert receivers == {f"D{slack_id(u)}" for u in (manager, co_manager, admin_manager)}
    assert len(chat.teams_posts("maya")) == 1
    assert chat.teams_posts("otto") == []
    assert not ChatDelivery.objects.filter(recipient__in=[*crew, other_manager]).exists()
    assert set(ChatDelivery.objects.values_list("status", "kind")) == {("sent", "team_alert")}


def test_the_message_is_the_alerts_published_wording_without_anyones_numbers(
    chat, crew, manager, raise_team_alert
):
    in_slack(chat, manager)
    with_teams_webhook(chat, manager)
    alert = raise_team_alert()

    [slack] = chat.slack_messages()
    [teams] = chat.teams_posts("maya")
    slack_text = str(slack.body["text"]) + str(slack.body["blocks"])
    teams_text = str(teams.body)
    for text in (slack_text, teams_text):
        assert alert.message in text
        assert f"{crew[0].team.name}: Team low FlowScore" in text
        assert "a team you manage" in text
        for member in crew:
            assert member.username not in text and member.email not in text
        for own in OWN_FLOWS:
            assert f"{own}" not in text and f"{own:.1f}" not in text


def test_a_manager_who_turned_chat_alerts_off_gets_none(chat, crew, manager, raise_team_alert):
    in_slack(chat, manager)
    ChatRecipient.objects.create(user=manager, alerts_enabled=False)
    raise_team_alert()
    assert chat.slack_messages() == []


def test_an_alert_is_messaged_once_a_day_and_again_when_it_escalates(
    chat, crew, manager, raise_team_alert, django_capture_on_commit_callbacks
):
    in_slack(chat, manager)
    alert = raise_team_alert()
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.alerts_evaluate(on_date=ON)  # the same day, nothing new
    assert len(chat.slack_messages()) == 1

    # The next day it escalates: alerts notifies it again, and so does chat.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    BurnoutAlert.objects.filter(pk=alert.pk).update(severity="high", notified_on=yesterday)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_notify(team_ids=[alert.team_id])
    assert len(chat.slack_messages()) == 2


def test_individual_alerts_never_go_to_chat(
    chat, employee, manager, django_capture_on_commit_callbacks
):
    in_slack(chat, employee, manager)
    add_days(employee, [35.0] * 7, end=ON)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.alerts_evaluate(on_date=ON)
    assert BurnoutAlert.objects.filter(scope="individual").exists()
    assert chat.calls("/api/chat.postMessage") == []
