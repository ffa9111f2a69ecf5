"""Errors raised between an uploaded file and a score.

Both map to a JSON ``{"detail": ...}`` response through ``resonance.exceptions``.
"""

from rest_framework import status

from resonance.exceptions import DomainError


class InvalidMedia(DomainError):
    """The uploaded image or audio cannot be scored.

    ``status_code`` is 415 when the content is not an accepted type, 413 when it is too large to
    read, and 400 when it is an accepted type but corrupt, silent, too short or a decompression
    bomb. The message says which, in words a user can act on.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_media"


class ModelUnavailable(DomainError):
    """No usable model for a kind: none active, file missing, or sha256 mismatch.

    A permanent failure: retrying will not help until an operator registers a model.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "model_unavailable"


class InvalidModelFile(DomainError):
    """A model file or its sidecar cannot be registered (bad sidecar, wrong checksum, bad graph)."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_model_file"
