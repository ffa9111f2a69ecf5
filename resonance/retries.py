"""Which task failures are worth retrying: the ones that may go away on their own.

A bug raises the same error on every attempt, so retrying it only delays the report; a
database restart or a broker hiccup does not.
"""

from typing import Any

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    BrokerOperationalError,
    ConnectionError,
)

# ``shared_task`` options: retry transient errors with jittered exponential backoff.
RETRY_TRANSIENT: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 6,
}
