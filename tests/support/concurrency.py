"""Run one function in several threads at once, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connections


def run_at_once(fn: Callable[[], object], *, threads: int = 4, timeout: float = 60) -> list:
    """Start ``threads`` calls of ``fn`` together (a barrier), wait for them, and return the
    exceptions they raised (an empty list when all succeeded)."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            fn()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    return errors
