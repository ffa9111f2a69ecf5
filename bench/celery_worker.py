"""How the load tests and the integration tests start a real Celery worker and outbox relay."""

from __future__ import annotations

import sys
from pathlib import Path


def celery_worker_command(app: str, *options: str) -> list[str]:
    """``celery -A <app> worker`` from this virtual environment with ``options``, logging at
    INFO, without gossip or mingle."""
    return [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        app,
        "worker",
        *options,
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]


def outbox_relay_command(*options: str) -> list[str]:
    """``manage.py relay_outbox`` from this virtual environment: sends the tasks requests queue
    in the outbox to the broker."""
    root = Path(__file__).resolve().parent.parent
    return [sys.executable, str(root / "manage.py"), "relay_outbox", *options]
