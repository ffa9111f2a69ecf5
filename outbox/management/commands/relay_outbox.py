import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from outbox.services import outbox_relay

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send the tasks queued in the outbox to the broker, in a loop (one process per "
        "deployment is enough; more may run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.2, help="Seconds between looks when idle."
        )
        parser.add_argument("--once", action="store_true", help="Send what is queued and exit.")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        if once:
            self.stdout.write(f"Sent {outbox_relay()} queued tasks.")
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Relaying the outbox every {interval:g} s when idle.")
        while not stopping:
            close_old_connections()  # honours CONN_MAX_AGE and drops a broken connection
            try:
                sent = outbox_relay()
            except Exception:  # the database is away: wait and look again
                logger.warning("Outbox relay failed; looking again", exc_info=True)
                sent = 0
            if not sent:
                time.sleep(interval)
