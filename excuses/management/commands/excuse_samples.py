"""Print sample meeting-excuse emails, or statistics over many seeds, to review the wording."""

import itertools
import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from excuses.choices import REASONS, TONES
from excuses.composer import compose
from excuses.drafts import MAX_WORDS, ExcuseInputs, word_count


class Command(BaseCommand):
    help = "Print sample excuse emails from the sentence-part engine (no database, no network)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reason", choices=list(REASONS), help="default: every reason")
        parser.add_argument("--tone", choices=list(TONES), help="default: every tone")
        parser.add_argument("--count", type=int, default=1, help="emails per reason and tone")
        parser.add_argument("--seed", type=int, default=0, help="first seed")
        parser.add_argument(
            "--stats", action="store_true", help="print distinct counts and lengths instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reasons = [options["reason"]] if options["reason"] else list(REASONS)
        tones = [options["tone"]] if options["tone"] else list(TONES)
        seeds = range(options["seed"], options["seed"] + options["count"])
        bodies: set[str] = set()
        lengths: list[int] = []
        started = time.perf_counter()
        for reason, tone, seed in itertools.product(reasons, tones, seeds):
            # Vary the optional inputs with the seed so every branch is exercised.
            inputs = ExcuseInputs(
                reason=reason,
                tone=tone,
                meeting_title="Q4 roadmap review",
                organizer_name="Priya",
                sender_full_name="Erin Walsh",
                sender_short_name="Erin",
                meeting_when="Thursday 3 December at 10:00" if seed % 4 else "",
                alternative_when="Friday 4 December at 14:00" if seed % 2 else "",
                offer_async_update=seed % 3 != 0,
            )
            draft = compose(inputs, rng=random.Random(seed))
            bodies.add(draft.body)
            lengths.append(word_count(draft.body))
            if not options["stats"]:
                self.stdout.write(f"--- {reason} / {tone} / seed {seed}")
                self.stdout.write(f"Subject: {draft.subject}\n\n{draft.body}\n")
        elapsed = time.perf_counter() - started
        if options["stats"]:
            total = len(lengths)
            self.stdout.write(
                f"{total} emails, {len(bodies)} distinct bodies; words min {min(lengths)}, "
                f"mean {sum(lengths) / total:.1f}, max {max(lengths)} (limit {MAX_WORDS}); "
                f"{elapsed / total * 1e6:.0f} µs per email"
            )
