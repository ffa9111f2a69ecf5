"""Domain errors of check-ins, mapped to HTTP statuses by ``resonance.exceptions``."""

from rest_framework import status

from resonance import indicators
from resonance.exceptions import DomainError


class ConsentRequired(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "consent_required"


class UploadTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "upload_too_large"


class NotAnEmployee(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "employees_only"


MEDIA_WORDS = {"image": "a face image", "audio": "a voice clip"}


def consent_message() -> str:
    """Why a check-in was refused without consent, naming only the media the profile reads."""
    media = " and ".join(MEDIA_WORDS[m] for m in indicators.media_needed())
    return (
        f"Check-ins need your consent to process {media}. "
        "Give it on the 'My data' page (/me/data/); you can withdraw it there at any time."
    )


EMPLOYEES_ONLY_MESSAGE = "Check-ins are for employees; managers and admins do not check in."


class PrivateModeOff(DomainError):
    """Scores from the device were sent while private mode is off for this person."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "private_mode_off"


class StaleModels(DomainError):
    """The device scored with models that are no longer the active ones."""

    status_code = status.HTTP_409_CONFLICT
    code = "stale_models"
