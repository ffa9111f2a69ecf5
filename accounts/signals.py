from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest

from resonance.exceptions import LockedOut


@receiver(user_locked_out)
def raise_locked_out_for_api(
    request: HttpRequest | None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    """Axes answers the login page itself; the JWT endpoint needs a 429 raised here."""
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        raise LockedOut()
