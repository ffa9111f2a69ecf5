"""Raw face images and voice clips in storage: biometric data, deleted as soon as allowed."""

import logging
from collections.abc import Iterable

from django.core.files.storage import default_storage

from metrics.models import CheckIn

logger = logging.getLogger(__name__)


def media_files_delete(names: Iterable[str]) -> None:
    """Delete stored files by name; a file that cannot be deleted is logged, not raised."""
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not delete media file %s", name, exc_info=True)


def media_names(checkin: CheckIn) -> list[str]:
    """The storage names of a check-in's raw image and audio (those it still has)."""
    return [name for name in (checkin.image.name, checkin.audio.name) if name]


def checkin_delete_media(*, checkin_id: int) -> int:
    """Delete a check-in's raw image/audio and clear the references; returns files deleted."""
    checkin = CheckIn.objects.filter(pk=checkin_id).only("image", "audio").first()
    if checkin is None:
        return 0
    names = media_names(checkin)
    if not names:
        return 0
    media_files_delete(names)
    CheckIn.objects.filter(pk=checkin_id).update(image="", audio="")
    return len(names)
