"""Reads for check-ins and daily metrics; every function returns only the acting user's rows."""

import datetime as dt
from typing import Any, cast

from django.db.models import QuerySet

from accounts.models import User
from audit.selectors import access_log_export
from resonance import indicators

from .day_figures import day_figures_for
from .flowscore import coach_message
from .models import (
    CheckIn,
    DailyMetric,
    daily_metric_fields,
    score_fields,
    self_report_fields,
)
from .signals import personal_data_exporting


def checkins_for(*, user: User) -> QuerySet[CheckIn]:
    """The user's own check-ins, newest first (nobody else's, whatever their role)."""
    return CheckIn.objects.filter(user=user).order_by("-created_at")


def checkin_for(*, user: User, checkin_id: int) -> CheckIn | None:
    return checkins_for(user=user).filter(pk=checkin_id).first()


def daily_metrics_for(
    *, user: User, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[DailyMetric]:
    """The user's own daily metrics in ``[date_from, date_to]``, oldest first."""
    rows = DailyMetric.objects.filter(user=user)
    if date_from is not None:
        rows = rows.filter(date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(date__lte=date_to)
    return rows.order_by("date")


def daily_metric_for_checkin(*, checkin: CheckIn) -> DailyMetric | None:
    if checkin.local_date is None:
        return None
    return DailyMetric.objects.filter(user_id=checkin.user_id, date=checkin.local_date).first()


def checkin_coach_message(checkin: CheckIn) -> str:
    return coach_message(checkin.flow_score)


def checkin_export_fields() -> tuple[str, ...]:
    """A check-in's exported fields: what the active profile computes, nothing it leaves out."""
    return (
        "id",
        "created_at",
        "local_date",
        "status",
        "source",
        *self_report_fields(),
        *score_fields(),
        "burst",
        "model_versions",
        "failure_reason",
        "attempts",
        "scored_at",
    )


def metric_export_fields() -> tuple[str, ...]:
    """A day's exported fields: the daily metric's, then the day figures (meeting hours)."""
    return (*daily_metric_fields(), *indicators.day_figure_keys())


def daily_records_export(*, user: User) -> list[dict[str, Any]]:
    """One record per day that has a daily metric or a day figure (a day with calendar data
    but no check-in too), oldest first; a field the day lacks is None."""
    fields = metric_export_fields()
    records: dict[dt.date, dict[str, Any]] = {
        row["date"]: {f: row.get(f) for f in fields}
        for row in daily_metrics_for(user=user).values(*daily_metric_fields())
    }
    for day, figures in day_figures_for(user=user).items():
        records[day] = {**dict.fromkeys(fields), "date": day, **records.get(day, {}), **figures}
    return [{f: _plain(v) for f, v in records[day].items()} for day in sorted(records)]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def my_data_export(*, user: User) -> dict[str, Any]:
    """Everything Resonance holds about the user, as plain JSON-ready values."""
    return {
        "profile": {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "team": user.team.name if user.team is not None else None,
            "time_zone": user.time_zone,
            "biometric_consent_at": _plain(user.biometric_consent_at),
            "company_joined_on": _plain(user.company_joined_on),
            "designation": user.designation,
            "company_type": user.company_type,
            "wfh_available": user.wfh_available,
            "email_alerts": user.email_alerts,
            "email_reminders": user.email_reminders,
            "scores_on_device": user.scores_on_device,
        },
        "checkins": [
            {
                **{f: _plain(v) for f, v in row.items() if f not in ("image", "audio")},
                "media_stored": bool(row["image"] or row["audio"]),
            }
            for row in checkins_for(user=user)
            .order_by("created_at")
            .values(*checkin_export_fields(), "image", "audio")
        ],
        "daily_metrics": daily_records_export(user=user),
        # Who opened or changed the user's records (admins); team views are not per person.
        "access_log": access_log_export(user),
        # What other apps hold about the person (their alerts, saved meeting-excuse emails).
        **_exported_elsewhere(user),
    }


def _exported_elsewhere(user: User) -> dict[str, list[dict[str, Any]]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for _receiver, exported in personal_data_exporting.send(sender=User, user=user):
        # Signal.send is typed for any signal; this one's receivers return sections of records.
        for name, records in cast(dict[str, list[dict[str, Any]]], exported).items():
            sections[name] = [{k: _plain(v) for k, v in record.items()} for record in records]
    return sections


# CSV record names of the export's other sections.
EXTRA_SECTION_RECORDS = {
    "access_log": "access",
    "alerts": "alert",
    "meeting_excuses": "meeting_excuse",
}


def my_data_csv_rows(*, user: User) -> tuple[list[str], list[list[Any]]]:
    """The export as one table: ``record`` says what each row is (profile, checkin, daily_metric);
    profile rows use ``field``/``value``, the others the columns named after their fields."""
    data = my_data_export(user=user)
    columns = [*checkin_export_fields(), "media_stored"]
    columns += [f for f in metric_export_fields() if f not in columns]
    header = ["record", "field", "value", *columns]
    rows: list[list[Any]] = []
    blank = [None] * len(columns)
    for key, value in data["profile"].items():
        rows.append(["profile", key, value, *blank])
    for item in data["checkins"]:
        rows.append(["checkin", None, None, *(item.get(c) for c in columns)])
    for item in data["daily_metrics"]:
        rows.append(["daily_metric", None, None, *(item.get(c) for c in columns)])
    # Records of other shapes (the access log, other apps' sections): one row per field, each
    # record's rows starting with its number in the section.
    for section in sorted(set(data) - {"profile", "checkins", "daily_metrics"}):
        record = EXTRA_SECTION_RECORDS.get(section, section)
        for number, item in enumerate(data[section], start=1):
            rows.append([record, "#", number, *blank])
            rows += [[record, key, value, *blank] for key, value in item.items()]
    return header, rows
