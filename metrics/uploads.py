"""Upload size enforcement while the request body streams in.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count files and ``FILE_UPLOAD_MAX_MEMORY_SIZE``
is only a spill-to-disk threshold, so the per-file limit is enforced here, chunk by chunk,
before a large body is ever fully read.
"""

from typing import IO, Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from inference import burst

from .errors import UploadTooLarge

# Room for the multipart boundaries and the self-report fields around two files.
_ENVELOPE_BYTES = 64 * 1024
# One photo (or a burst of frames, which count together as one photo) and one voice clip.
MAX_FILES_PER_CHECKIN = 2
BURST_FIELD = "frames"


def too_large_message(limit: int) -> str:
    return f"Each file must be at most {filesizeformat(limit)}."


class FileSizeLimitHandler(FileUploadHandler):
    """Counts every file's bytes as they arrive and stops at ``limit``."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.files = 0
        self.frames = 0
        self.field = ""

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        allowed = MAX_FILES_PER_CHECKIN * self.limit + _ENVELOPE_BYTES
        if content_length and content_length > allowed:
            raise UploadTooLarge(too_large_message(self.limit))
        return None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.field = field_name
        if field_name == BURST_FIELD:
            # The frames of a burst share one file's budget, and count as one file.
            self.frames += 1
            if self.frames > burst.MAX_FRAMES:
                raise UploadTooLarge(f"Send at most {burst.MAX_FRAMES} frames.")
            if self.frames > 1:
                return
        self.received = 0
        self.files += 1
        if self.files > MAX_FILES_PER_CHECKIN:
            raise UploadTooLarge("Send at most one image and one audio clip.")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.field == BURST_FIELD:
                raise UploadTooLarge(
                    f"The frames together must be at most {filesizeformat(self.limit)}."
                )
            raise UploadTooLarge(too_large_message(self.limit))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def install_size_limit(request: HttpRequest) -> None:
    """Put the size-limit handler in front of Django's handlers; call before reading FILES."""
    request.upload_handlers.insert(
        0, FileSizeLimitHandler(request, limit=settings.MAX_UPLOAD_BYTES)
    )
