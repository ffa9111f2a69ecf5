"""Alert emails (once per alert per day, opt-out), check-in reminders, tasks, schedule, and
the team evaluation that follows each publication."""

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from alerts import tasks
from alerts.handlers import EVALUATE_TEAMS_TASK
from alerts.models import BurnoutAlert, CheckinReminder
from alerts.services import evaluation, notifications, reminders
from metrics.models import CheckIn, DailyMetric
from outbox.models import OutboxMessage
from outbox.selectors import outbox_queued
from outbox.services import outbox_relay
from resonance.celery import app as celery_app
from teams.tests.helpers import last_week_end, publish
from tests.factories import UserFactory

from .conftest import ON, add_days, as_if_raised_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks):
    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return evaluation.alerts_evaluate(on_date=ON, **kwargs)

    return run


def test_a_new_alert_emails_the_employee_once(employee, evaluate):
    add_days(employee, [35.0] * 7)
    result = evaluate()
    assert result["notified"] == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [employee.email]
    assert "Low FlowScore" in message.subject
    assert "35.0" in message.body

    evaluate()
    assert len(mail.outbox) == 1


def test_an_escalation_emails_again_but_not_the_same_day(employee, evaluate, monkeypatch):
    add_days(employee, [35.0] * 7)
    evaluate()
    DailyMetric.objects.filter(user=employee).update(flow_score=20.0)
    evaluate()
    assert len(mail.outbox) == 1  # escalated, but already emailed today

    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(notifications.timezone, "localdate", lambda: tomorrow)
    evaluate()
    assert len(mail.outbox) == 2
    assert "high" in mail.outbox[1].body
    evaluate()
    assert len(mail.outbox) == 2


def test_unchanged_alerts_are_not_emailed_again_on_later_days(employee, evaluate, monkeypatch):
    add_days(employee, [35.0] * 7)
    evaluate()
    monkeypatch.setattr(
        notifications.timezone, "localdate", lambda: dt.date.today() + dt.timedelta(3)
    )
    evaluate()
    assert len(mail.outbox) == 1


def test_employees_can_opt_out_of_alert_emails(employee, evaluate):
    employee.email_alerts = False
    employee.save()
    add_days(employee, [35.0] * 7)
    evaluate()
    assert BurnoutAlert.objects.filter(user=employee).exists()
    assert mail.outbox == []


@pytest.mark.usefixtures("noiseless")
def test_team_alerts_email_the_teams_managers_only(crew, manager, other_manager, evaluate):
    silent = UserFactory(role="manager", team=None, username="silent", email_alerts=False)
    crew[0].team.managers.add(silent)
    for user in crew:
        add_days(user, [45.0] * 7)
    publish(through=ON)
    evaluate()
    assert BurnoutAlert.objects.get().rule == "team_low_flow"
    recipients = [m.to for m in mail.outbox]
    assert recipients == [[manager.email]]
    body = mail.outbox[0].body
    assert "about 45.0" in body
    for member in crew:
        assert member.username not in body


def test_individual_alerts_never_email_managers(employee, manager, evaluate):
    add_days(employee, [35.0] * 7)
    evaluate()
    assert all(m.to == [employee.email] for m in mail.outbox)


def test_a_failing_mail_server_does_not_undo_the_evaluation(employee, evaluate, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    add_days(employee, [35.0] * 7)
    evaluate()
    assert BurnoutAlert.objects.get(user=employee).notified_on is not None


class TestReminders:
    def send(self, capture, on_date):
        with capture(execute=True):
            return reminders.checkin_reminders_send(on_date=on_date)

    def test_it_reminds_employees_who_have_not_checked_in(
        self, employee, teammate, outsider, manager, django_capture_on_commit_callbacks
    ):
        today = dt.date.today()
        add_days(teammate, [70.0], end=today)
        outsider.email_reminders = False
        outsider.save()
        UserFactory(username="noconsent", biometric_consent_at=None)
        UserFactory(username="gone", is_active=False)

        sent = self.send(django_capture_on_commit_callbacks, today)
        assert sent == 1
        assert [m.to for m in mail.outbox] == [[employee.email]]
        assert "check-in" in mail.outbox[0].subject

    def test_a_check_in_being_scored_counts(self, employee, django_capture_on_commit_callbacks):
        today = dt.date.today()
        CheckIn.objects.create(user=employee, local_date=today)
        assert self.send(django_capture_on_commit_callbacks, today) == 0

    def test_it_reminds_once_a_day(self, employee, django_capture_on_commit_callbacks):
        today = dt.date.today()
        assert self.send(django_capture_on_commit_callbacks, today) == 1
        assert self.send(django_capture_on_commit_callbacks, today) == 0
        assert len(mail.outbox) == 1
        assert CheckinReminder.objects.filter(user=employee, date=today).count() == 1
        assert self.send(django_capture_on_commit_callbacks, today + dt.timedelta(days=1)) == 1

    def test_the_task_uses_today(self, employee, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.send_checkin_reminders()
        assert result == {"date": dt.date.today().isoformat(), "sent": 1}


def test_beat_schedule_runs_evaluation_and_reminders_daily(settings):
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    evaluation = scheduled["alerts.tasks.evaluate_all_alerts"]
    reminders = scheduled["alerts.tasks.send_checkin_reminders"]
    assert evaluation.hour == {6} and evaluation.minute == {0}
    assert reminders.hour == {16} and reminders.minute == {0}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    celery_app.loader.import_default_modules()
    for name in (
        "alerts.tasks.evaluate_all_alerts",
        "alerts.tasks.send_checkin_reminders",
        "alerts.tasks.evaluate_alerts_after_checkin",
        "alerts.tasks.evaluate_team_alerts",
    ):
        assert name in celery_app.tasks


@pytest.mark.usefixtures("noiseless")
def test_tasks_call_the_evaluation(crew, django_capture_on_commit_callbacks):
    for user in crew:
        add_days(user, [35.0] * 7)
    after = tasks.evaluate_alerts_after_checkin(crew[0].pk, ON.isoformat())
    assert after["individual"]["created"] == 1
    everyone = tasks.evaluate_all_alerts(ON.isoformat())
    assert everyone["individual"]["created"] == 4
    assert everyone["team"]["created"] == 0  # nothing published yet

    as_if_raised_on(ON - dt.timedelta(days=6))
    publish(through=ON)  # the week closes: a low mean
    teams = tasks.evaluate_team_alerts([crew[0].team_id], ON.isoformat())
    assert teams["individual"]["created"] == 0
    assert teams["team"]["created"] == 1
    assert set(BurnoutAlert.objects.filter(scope="team").values_list("rule", flat=True)) == {
        "team_low_flow"
    }


class TestAfterPublication:
    def test_new_published_days_enqueue_the_team_evaluation_after_commit(
        self, crew, django_capture_on_commit_callbacks
    ):
        for user in crew:
            add_days(user, [70.0] * 7)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            publish(through=ON)
        assert outbox_queued(EVALUATE_TEAMS_TASK) == []  # not before the days are committed
        for callback in callbacks:
            callback()
        assert outbox_queued(EVALUATE_TEAMS_TASK) == [
            [[crew[0].team_id], timezone.localdate().isoformat()]
        ]

    def test_a_publication_with_nothing_new_enqueues_nothing(
        self, crew, django_capture_on_commit_callbacks
    ):
        for user in crew:
            add_days(user, [70.0] * 7)
        with django_capture_on_commit_callbacks(execute=True):
            publish(through=ON)
        queued = outbox_queued(EVALUATE_TEAMS_TASK)
        with django_capture_on_commit_callbacks(execute=True):
            publish(through=ON)
        assert outbox_queued(EVALUATE_TEAMS_TASK) == queued

    @pytest.mark.usefixtures("noiseless")
    def test_publication_raises_the_team_alert_and_emails_the_managers(
        self, crew, manager, django_capture_on_commit_callbacks, monkeypatch
    ):
        monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
        today = timezone.localdate()
        sunday = last_week_end(today)
        for user in crew:
            add_days(user, [30.0] * 7, end=sunday)
        with django_capture_on_commit_callbacks(execute=True):
            publish(through=sunday)
        alert = BurnoutAlert.objects.get(scope="team")
        assert (alert.team, alert.rule, alert.window_end) == (crew[0].team, "team_low_flow", today)
        assert alert.snapshot == {"mean_flow": 30.0, "days_published": 7}
        assert [m.to for m in mail.outbox] == [[manager.email]]

    def test_a_broker_outage_leaves_the_publication_done_and_the_evaluation_queued(
        self, crew, django_capture_on_commit_callbacks, monkeypatch
    ):
        for user in crew:
            add_days(user, [30.0] * 7)
        monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
        down = ConnectionError("broker down")
        with django_capture_on_commit_callbacks(execute=True):
            summary = publish(through=ON)
        assert summary.published == 1  # the week
        with mock.patch.object(celery_app, "send_task", side_effect=down):
            assert outbox_relay() == 0
        assert len(outbox_queued(EVALUATE_TEAMS_TASK)) == 1  # sent once the broker is back
        assert OutboxMessage.objects.get().last_error == "ConnectionError: broker down"
        assert not BurnoutAlert.objects.exists()


def test_generate_alerts_command(employee):
    add_days(employee, [35.0] * 7)
    out = StringIO()
    call_command("generate_alerts", "--date", ON.isoformat(), "--no-email", stdout=out)
    assert "individual created 1" in out.getvalue()
    assert BurnoutAlert.objects.get(user=employee).notified_on is None
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("generate_alerts", "--date", "20-11-2026")
