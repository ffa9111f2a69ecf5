""" "Export my data" holds everything Resonance keeps about the person, from every app, and the
erase message counts everything erased."""

import csv
import datetime as dt
import io
import json

from django.utils import timezone

from alerts.models import BurnoutAlert
from excuses.models import ExcuseEmail
from metrics.models import CheckIn


def _alert(**fields) -> BurnoutAlert:
    today = timezone.localdate()
    return BurnoutAlert.objects.create(
        severity=BurnoutAlert.Severity.MEDIUM,
        message="Your FlowScore has been low for a week.",
        window_start=today - dt.timedelta(days=6),
        window_end=today,
        **fields,
    )


def _excuse(user, title: str) -> ExcuseEmail:
    return ExcuseEmail.objects.create(
        user=user,
        meeting_title=title,
        organizer_name="Maya",
        reason="focus",
        tone="formal",
        seed=1,
        subject=title,
        body="Hello Maya, I will skip this one to keep a focus block.",
        backend="template",
    )


def _own_and_others(employee, teammate, team, make_checkin):
    make_checkin(user=employee)
    CheckIn.objects.filter(user=employee).update(source=CheckIn.Source.DEVICE)
    employee.scores_on_device = True
    employee.save(update_fields=["scores_on_device"])
    mine = _alert(scope="individual", user=employee, rule="low_flow")
    _alert(scope="individual", user=teammate, rule="low_flow")
    _alert(scope="team", team=team, rule="team_low_flow")
    excuse = _excuse(employee, "Weekly sync")
    _excuse(teammate, "Their planning")
    return mine, excuse


def test_the_json_export_has_my_alerts_excuses_sources_and_on_device_choice(
    client, employee, teammate, team, make_checkin
):
    mine, excuse = _own_and_others(employee, teammate, team, make_checkin)
    client.force_login(employee)

    data = json.loads(client.get("/me/data/export.json").content)

    assert data["profile"]["scores_on_device"] is True
    assert [c["source"] for c in data["checkins"]] == ["device"]
    assert [a["id"] for a in data["alerts"]] == [mine.pk]  # not a teammate's, not the team's
    assert data["alerts"][0]["message"] == mine.message
    assert data["alerts"][0]["window_end"] == mine.window_end.isoformat()
    assert [e["id"] for e in data["meeting_excuses"]] == [excuse.pk]
    assert data["meeting_excuses"][0]["body"] == excuse.body
    assert "Their planning" not in json.dumps(data)


def test_the_csv_export_has_the_same_records(client, employee, teammate, team, make_checkin):
    mine, excuse = _own_and_others(employee, teammate, team, make_checkin)
    client.force_login(employee)

    rows = list(csv.DictReader(io.StringIO(client.get("/me/data/export.csv").content.decode())))

    def fields(record: str) -> dict[str, str]:
        return {r["field"]: r["value"] for r in rows if r["record"] == record}

    assert fields("alert")["message"] == mine.message
    assert fields("meeting_excuse")["subject"] == excuse.subject
    assert fields("profile")["scores_on_device"] == "True"
    assert [r["source"] for r in rows if r["record"] == "checkin"] == ["device"]
    assert "Their planning" not in json.dumps(rows)


def test_the_erase_message_counts_the_alerts_it_erased(client, employee, make_checkin):
    make_checkin(user=employee)
    _alert(scope="individual", user=employee, rule="low_flow")
    client.force_login(employee)

    response = client.post("/me/data/erase/", {"confirm": "erase"}, follow=True)

    assert (
        "Erased 1 check-in, 0 daily records, 1 alert and 0 stored files."
        in response.content.decode()
    )
