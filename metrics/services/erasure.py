"""A person's right to erasure: everything measured about them goes, in one transaction."""

from functools import partial
from typing import cast

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from metrics.models import CheckIn, DailyMetric
from metrics.signals import daily_metrics_changed, personal_data_erasing

from .media import media_files_delete


def my_data_erase(*, user: User) -> dict[str, int]:
    """Delete every check-in (with its media) and daily metric of ``user``, and, through
    ``personal_data_erasing``, what other apps derived from them (individual alerts).

    Returns rows deleted by kind (``checkins``, ``daily_metrics``, each receiver's kinds such as
    ``alerts``) and ``files``. The account itself stays (it belongs to the organisation);
    nothing measured about the person is kept. Published team aggregates stay as published:
    they are anonymous, noised statistics of whole teams, and rewriting them would reveal the
    erased numbers by difference. After commit the media files are deleted and
    ``daily_metrics_changed`` is sent, so alerts built on the erased data resolve.
    """
    checkins = CheckIn.objects.filter(user=user)
    names = [n for pair in checkins.values_list("image", "audio") for n in pair if n]
    with transaction.atomic():
        deleted_checkins, _ = checkins.delete()
        deleted_metrics, _ = DailyMetric.objects.filter(user=user).delete()
        derived: dict[str, int] = {}
        for _receiver, deleted in personal_data_erasing.send(sender=User, user=user):
            # Signal.send is typed for any signal; this one's receivers return counts by kind.
            derived.update(cast(dict[str, int], deleted))
        transaction.on_commit(partial(media_files_delete, names))
        transaction.on_commit(
            partial(
                daily_metrics_changed.send,
                sender=DailyMetric,
                user_id=user.pk,
                on_date=timezone.localdate(),
            )
        )
    return {
        "checkins": deleted_checkins,
        "daily_metrics": deleted_metrics,
        **derived,
        "files": len(names),
    }


# What each kind of erased row is called, singular and plural (other apps' kinds included).
ERASED_KINDS = {
    "checkins": ("check-in", "check-ins"),
    "daily_metrics": ("daily record", "daily records"),
    "alerts": ("alert", "alerts"),
    "calendar_connections": ("calendar connection", "calendar connections"),
    "calendar_days": ("day of meeting load", "days of meeting load"),
    "chat_reminders": ("chat reminder record", "chat reminder records"),
    "files": ("stored file", "stored files"),
}


def erasure_summary(result: dict[str, int]) -> str:
    """ "Erased 3 check-ins, 2 daily records, 1 alert and 2 stored files." for the person."""
    parts = []
    for kind, count in result.items():
        singular, plural = ERASED_KINDS.get(kind, (kind.replace("_", " "),) * 2)
        parts.append(f"{count} {singular if count == 1 else plural}")
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"Erased {listed}."
