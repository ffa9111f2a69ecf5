"""The check-in the load tests post: a face image, a voice clip and a self-report."""

from __future__ import annotations

import uuid


def multipart_checkin_body() -> tuple[bytes, str]:
    """The multipart body of one check-in and its Content-Type (with the boundary)."""
    from metrics.tests.media import png_bytes, wav_bytes

    boundary = uuid.uuid4().hex
    parts = []
    for name, filename, ctype, content in (
        ("image", "face.png", "image/png", png_bytes(size=224)),
        ("audio", "voice.wav", "audio/wav", wav_bytes(seconds=3.0)),
    ):
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    for name, value in (("hours_worked", "8.5"), ("meeting_count", "3")):
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
