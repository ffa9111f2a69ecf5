"""``mailto:`` links that open a drafted email in the employee's own mail client."""

from __future__ import annotations

from urllib.parse import quote


def mailto_url(*, subject: str, body: str, to: str = "") -> str:
    """A ``mailto:`` link with the subject and body percent-encoded (RFC 6068, CRLF newlines)."""
    encoded_body = quote(body.replace("\r\n", "\n").replace("\n", "\r\n"), safe="")
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject, safe='')}&body={encoded_body}"
