"""The bytes of an upload, from wherever they are: a path, bytes or a binary file object."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from inference.errors import InvalidMedia

MediaSource = str | Path | BinaryIO | bytes


def read_source(source: MediaSource, *, max_bytes: int, what: str) -> bytes:
    """Read all bytes of a path, bytes or binary file object (rewound afterwards)."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InvalidMedia(f"The {what} file could not be read: {exc.strerror}.") from exc
        if size > max_bytes:
            raise _too_large(what, max_bytes)
        data = path.read_bytes()
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
        if hasattr(source, "seek"):
            source.seek(0)
    if len(data) > max_bytes:
        raise _too_large(what, max_bytes)
    if not data:
        raise InvalidMedia(f"The {what} file is empty.")
    return data


def _too_large(what: str, max_bytes: int) -> InvalidMedia:
    return InvalidMedia(
        f"The {what} file is larger than {max_bytes // (1024 * 1024)} MB.", status_code=413
    )
