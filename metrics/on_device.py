"""Check-ins scored on the employee's device (private mode): only scores reach the server.

The browser runs the same ONNX models as the workers (``inference.device`` lists them) and
sends the component scores with the model versions and digests it used. From there the
check-in is treated like one a worker scored: a ``done`` row (``source="device"``), the day's
metric, alerts and publication. What the server cannot do is prove the scores came from a
face and a voice; see the trust model in docs/privacy.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from inference import device
from metrics.errors import (
    EMPLOYEES_ONLY_MESSAGE,
    ConsentRequired,
    NotAnEmployee,
    PrivateModeOff,
    StaleModels,
    consent_message,
)
from metrics.models import CheckIn
from metrics.services import idempotency
from metrics.services.scoring import Scores, burnout_score_for, checkin_complete, computed_scores
from metrics.services.submission import either_or_both, local_date_for
from resonance import indicators
from resonance.exceptions import DomainError


def device_scoring_for(user: User) -> bool:
    """Whether this person's browser check-ins are scored on their device."""
    mode = settings.PRIVATE_MODE
    return mode == "required" or (mode == "optional" and user.scores_on_device)


def served_versions() -> dict[str, dict[str, str]]:
    """What the browser must echo: {kind: {"version", "digest"}} of the on-device models."""
    return {
        kind: {"version": item.version, "digest": item.digest}
        for kind, item in device.device_kinds().items()
    }


@dataclass(frozen=True)
class DeviceScores:
    # {indicator key: score} as the browser computed them ({"fatigue": 0.2, "stress": 0.4})
    values: dict[str, float | None]
    # {"fatigue": {"version": ..., "digest": ...}, "voice": {...}} for the scores sent
    model_versions: dict[str, dict[str, str]]
    # What the burst the fatigue score came from showed, when it came from one.
    burst: dict[str, float | int] | None = None


def _check_score(name: str, value: float | None) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise DomainError(f"The {name} score must be a number.", code="invalid_score")
    if not 0.0 <= value <= 1.0:
        raise DomainError(f"The {name} score must be between 0 and 1.", code="invalid_score")


def _check_indicators(scores: DeviceScores) -> dict[str, float]:
    """The scores sent, each one the device may compute under the active profile."""
    allowed = indicators.device_kinds()
    sent = {key: value for key, value in scores.values.items() if value is not None}
    for key in sent:
        if key not in allowed.values():
            raise DomainError(
                f"This organisation does not use the {key!r} score "
                f"(signal profile {indicators.profile()!r}); nothing was stored.",
                code="indicator_not_used",
            )
    if not sent:
        names = either_or_both([f"a {key} score" for key in allowed.values()])
        raise DomainError(f"Send {names}.", code="no_scores")
    for key, value in sent.items():
        _check_score(key, value)
    return sent


def _check_versions(sent: dict[str, float], echoed: dict[str, dict[str, str]]) -> None:
    served = served_versions()
    for kind, key in indicators.device_kinds().items():
        if key not in sent:
            continue
        if kind not in served:
            raise StaleModels(
                f"The {kind} model cannot score on the device now; reload the page.",
                extra={"active": served},
            )
        if echoed.get(kind) != served[kind]:
            raise StaleModels(
                "The models changed since this page was loaded; reload the page and check "
                "in again.",
                extra={"active": served},
            )


def checkin_record_device_scores(
    *,
    user: User,
    scores: DeviceScores,
    hours_worked: float | None = None,
    sleep_hours: float | None = None,
    meeting_count: int | None = None,
    mental_fatigue: float | None = None,
    idempotency_key: str = "",
) -> CheckIn:
    """Record a check-in scored on the device as a ``done`` check-in (with an
    ``idempotency_key`` already used in the last 24 hours: that check-in, nothing new).

    Preconditions: ``user`` is an employee with consent and private mode applies to them; at
    least one score, each a finite number in [0, 1] of an indicator the active profile lets a
    device compute (a score it leaves out, such as voice stress under ``eu``, is refused);
    ``scores.model_versions`` equal to what is served now for every kind sent. Raises
    ``NotAnEmployee``/``ConsentRequired``/``PrivateModeOff`` (403), ``StaleModels`` (409, with
    the active versions) or ``DomainError`` (400). The burnout score is computed here from the
    profile, the numbers and the device's scores (no media involved). Side effects as for a
    worker-scored check-in: the day's metric in the same transaction, alert evaluation after
    commit.
    """
    if not user.is_employee:
        raise NotAnEmployee(EMPLOYEES_ONLY_MESSAGE)
    if not user.has_consented:
        raise ConsentRequired(consent_message())
    if settings.PRIVATE_MODE == "off":
        raise PrivateModeOff("On-device check-ins are turned off for this organisation.")
    if not device_scoring_for(user):
        raise PrivateModeOff("Turn on on-device scoring on My data first.")
    sent = _check_indicators(scores)
    _check_versions(sent, scores.model_versions or {})

    now = timezone.now()
    on_date = local_date_for(user, now)
    burnout = burnout_score_for(
        user=user,
        on_date=on_date,
        hours_worked=hours_worked,
        mental_fatigue=mental_fatigue,
        model_scores=sent,
    )
    versions = {
        kind: scores.model_versions[kind]["version"]
        for kind, key in indicators.device_kinds().items()
        if key in sent
    }
    result = Scores(
        values={**sent, "burnout": burnout.score},
        model_versions={**versions, "burnout": burnout.model_version},
        burst=scores.burst if "fatigue" in sent else None,
    )
    idempotency.idempotency_key_release_expired(user=user, idempotency_key=idempotency_key)
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                user=user,
                idempotency_key=idempotency_key,
                source=CheckIn.Source.DEVICE,
                status=CheckIn.Status.PROCESSING,
                claimed_at=now,
                local_date=on_date,
                hours_worked=hours_worked,
                sleep_hours=sleep_hours,
                meeting_count=meeting_count,
                mental_fatigue=mental_fatigue,
            )
            result.values.update(computed_scores(checkin))
            checkin_complete(checkin=checkin, scores=result)
    except IntegrityError:
        first = idempotency.checkin_replayed(user=user, idempotency_key=idempotency_key)
        if first is None:
            raise
        return first  # the same scores, sent twice at once: the first one won
    checkin.refresh_from_db()
    return checkin


def device_manifest(*, user: User) -> dict[str, Any]:
    """What ``user``'s browser needs to score a check-in itself: the mode, ONNX Runtime Web,
    and per kind the active version, digest, sidecar and the URL of every ONNX file."""
    runtime = device.runtime_dir()
    binary = device.runtime_binary()
    kinds = {
        kind: {
            "version": item.version,
            "digest": item.digest,
            "sidecar": item.sidecar,
            "files": {
                file.role: {
                    "url": reverse("metrics:device-model", args=[file.sha256]),
                    "sha256": file.sha256,
                    "bytes": file.path.stat().st_size,
                }
                for file in item.files
            },
        }
        for kind, item in device.device_kinds().items()
    }
    return {
        "mode": settings.PRIVATE_MODE,
        "on_device": device_scoring_for(user),
        "runtime": {
            "available": runtime is not None,
            "module": static(runtime + device.RUNTIME_MODULE) if runtime else None,
            "wasm_paths": static(runtime) if runtime else None,
            # Fetched by the page itself, so its progress counts the runtime too.
            "wasm": (
                {"url": static(runtime + binary.name), "bytes": binary.stat().st_size}
                if runtime and binary
                else None
            ),
        },
        "kinds": kinds,
    }
