"""Accepting a check-in: validate the upload, store it as ``pending``, enqueue its scoring."""

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from inference import services as inference
from metrics.errors import (
    EMPLOYEES_ONLY_MESSAGE,
    ConsentRequired,
    NotAnEmployee,
    UploadTooLarge,
    consent_message,
)
from metrics.models import CheckIn
from metrics.uploads import too_large_message
from outbox.services import outbox_add
from resonance import indicators
from resonance.exceptions import DomainError

from . import idempotency
from .media import media_files_delete, media_names

logger = logging.getLogger(__name__)


def local_date_for(user: User, moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` in the user's own time zone."""
    return timezone.localtime(moment, user.zone).date()


SCORE_TASK = "metrics.tasks.score_checkin"


def checkin_enqueue(checkin_id: int) -> None:
    """Queue the scoring of ``checkin_id`` in the outbox, in the caller's transaction.

    The request never waits for the broker: the relay sends the task once the transaction has
    committed (at once, in-process, without a broker). Scoring is safe to run twice (the
    worker's conditional claim), as an outbox requires.
    """
    outbox_add(SCORE_TASK, checkin_id)


def _check_size(upload: UploadedFile, *, kind: str) -> None:
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise UploadTooLarge(too_large_message(settings.MAX_UPLOAD_BYTES))
    if upload.size == 0:
        raise DomainError(f"The {kind} file is empty.")


def _check_upload(upload: UploadedFile, *, kind: str) -> None:
    """The cheap checks of the request (size, type by content, polyglots); the face and speech
    gates run in the worker, and a refusal reaches the person through the check-in's status."""
    _check_size(upload, kind=kind)
    upload.seek(0)
    if kind == "image":
        inference.check_image_upload(upload)
    else:
        inference.check_audio_upload(upload)
    upload.seek(0)


def _burst_upload(frames: Sequence[UploadedFile]) -> ContentFile:
    """A burst's frames, checked, as one stored file (a ZIP archive of the frames as sent).

    The frames share one file's budget (``MAX_UPLOAD_BYTES``) and the photo's checks."""
    if sum(frame.size or 0 for frame in frames) > settings.MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            f"The frames together must be at most {filesizeformat(settings.MAX_UPLOAD_BYTES)}."
        )
    if any(frame.size == 0 for frame in frames):
        raise DomainError("A frame of the burst is empty.")
    return ContentFile(inference.check_burst_upload(frames), name="burst.zip")


def checkin_photo_check(*, image: UploadedFile) -> None:
    """Run the upload checks and the photo gate on ``image`` without storing anything.

    The check-in page calls this right after "Take photo", so the person learns at once
    whether to retake it. Raises ``UploadTooLarge`` (413), ``InvalidMedia`` (400/415, with
    the retake message) or ``ModelUnavailable``; returns None when the photo would be accepted.
    The bytes are read in memory and dropped: nothing is written, no row, no file.
    """
    _check_size(image, kind="image")
    image.seek(0)
    inference.validate_image_upload(image)


MEDIA_NAMES = {"image": "a face image ('image')", "audio": "a voice clip ('audio')"}


def either_or_both(items: list[str]) -> str:
    """ "a" for one item, "a, b, or both" for two (the wording every "send ..." message uses)."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items)}, or both"


def media_request_message(*, verb: str = "Send", names: Mapping[str, str] = MEDIA_NAMES) -> str:
    """What a check-in must carry under the active profile, in words."""
    return f"{verb} {either_or_both([names[m] for m in indicators.media_needed()])}."


def unused_media(
    *, image: object = None, frames: Sequence[object] = (), audio: object = None
) -> list[str]:
    """The kinds of upload sent ("image" for a photo or a burst, "audio") that the active
    profile does not read: ``checkin_submit`` drops them unread, the reply names them."""
    sent = {"image": bool(image) or bool(frames), "audio": bool(audio)}
    return [
        media for media, present in sent.items() if present and not indicators.needs_media(media)
    ]


def checkin_submit(
    *,
    user: User,
    image: UploadedFile | None = None,
    audio: UploadedFile | None = None,
    frames: Sequence[UploadedFile] | None = None,
    hours_worked: float | None = None,
    sleep_hours: float | None = None,
    meeting_count: int | None = None,
    mental_fatigue: float | None = None,
    idempotency_key: str = "",
) -> CheckIn:
    """Store an upload as a ``pending`` check-in and enqueue its scoring after commit.

    With an ``idempotency_key`` already used by ``user`` in the last 24 hours, returns that
    check-in and stores nothing (callers check ``checkin_replayed`` first to skip the media
    checks; this also covers two identical requests racing).

    Preconditions: ``user`` is an employee with recorded consent; at least one of ``image`` (or
    ``frames``, a burst: stored as one ZIP archive in ``image``) and ``audio`` that the
    active profile reads (an upload it does not read, such as a voice clip
    under ``eu``, is dropped unread; ``unused_media`` names it for the reply); each file
    within ``MAX_UPLOAD_BYTES`` and decodable as its kind (checked by decoding, not by name or
    declared type). Raises ``ConsentRequired`` (403),
    ``UploadTooLarge`` (413), ``InvalidMedia`` (400/415) or ``DomainError`` (400).
    Side effects: writes the files under random names and the row in one transaction; if the
    transaction fails the files are removed again.
    """
    if not user.is_employee:
        raise NotAnEmployee(EMPLOYEES_ONLY_MESSAGE)
    if not user.has_consented:
        raise ConsentRequired(consent_message())
    # An upload no active indicator reads (a voice clip under the "eu" profile) is dropped
    # here, unread: it is never decoded, stored or scored.
    if not indicators.needs_media("image"):
        image = None
    if not indicators.needs_media("audio"):
        audio = None
    frames = list(frames or ())
    if frames and not indicators.needs_media("image"):
        frames = []
    if image is not None and frames:
        raise DomainError(
            "Send one photo ('image') or a burst of frames ('frames'), not both.",
            code="photo_and_frames",
        )
    if image is None and audio is None and not frames:
        raise DomainError(media_request_message(), code="no_media")
    if image is not None:
        _check_upload(image, kind="image")
    if audio is not None:
        _check_upload(audio, kind="audio")
    stored_image: File | None = _burst_upload(frames) if frames else image

    now = timezone.now()
    idempotency.idempotency_key_release_expired(user=user, idempotency_key=idempotency_key)
    checkin = CheckIn(
        user=user,
        idempotency_key=idempotency_key,
        local_date=local_date_for(user, now),
        hours_worked=hours_worked,
        sleep_hours=sleep_hours,
        meeting_count=meeting_count,
        mental_fatigue=mental_fatigue,
    )
    if stored_image is not None:
        checkin.image = stored_image
    if audio is not None:
        checkin.audio = audio
    try:
        with transaction.atomic():
            checkin.save()
            checkin_enqueue(checkin.pk)
    except IntegrityError:
        media_files_delete(media_names(checkin))
        first = idempotency.checkin_replayed(user=user, idempotency_key=idempotency_key)
        if first is None:
            raise
        return first  # the same request, sent twice at once: the first one won
    except BaseException:
        media_files_delete(media_names(checkin))
        raise
    return checkin
