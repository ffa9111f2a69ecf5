"""Logging filters."""

import logging


class ExpectedClientErrors(logging.Filter):
    """A 4xx answer is the app working as designed (a manager opening an employee page, a
    stale link): log it at INFO, one line, without the traceback Django attaches to
    ``PermissionDenied``. 5xx records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.INFO
            record.levelname = "INFO"
        return True
