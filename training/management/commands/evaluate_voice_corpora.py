"""``manage.py evaluate_voice_corpora``: how the voice stress features travel across corpora.

    manage.py evaluate_voice_corpora --data-dir ../shared/datasets/ravdess \
        --data-dir ../shared/datasets/ased [--candidate prosody] [--json]

Leave-one-corpus-out and pooled leave-speakers-out figures, with their spread, for each
candidate feature set (``training.voice_corpora``). Features are computed through the scorer's
own path and cached under ``var/cache/voice``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Voice stress across corpora and languages: leave-one-corpus-out and pooled "
        "leave-speakers-out balanced accuracy, ROC-AUC and calm clips below 0.5, per corpus and "
        "on ASED's sentences 01-02 (angry and fearful against neutral), with their spread."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", action="append", type=Path, required=True)
        parser.add_argument("--candidate", action="append", help="default: every candidate")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--json", action="store_true", help="print the whole report")
        parser.add_argument(
            "--per-speaker",
            action="store_true",
            help="standardise each speaker's features by their own mean and spread first",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from training import voice_corpora, voice_stress
        from training.datasets import DatasetError

        unknown = set(opts["candidate"] or ()) - set(voice_stress.CANDIDATES)
        if unknown:
            raise CommandError(f"Unknown candidate(s): {', '.join(sorted(unknown))}.")
        cache = Path(settings.BASE_DIR) / "var" / "cache" / "voice"
        self.stdout.write("Scoring every clip through the scorer's path (cached)…")
        try:
            table = voice_corpora.labelled_table(opts["data_dir"], cache_dir=cache)
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        corpora = sorted({voice_corpora.corpus_of(s) for s in table.samples})
        if len(corpora) < 2:
            raise CommandError(f"Two corpora are needed; found {', '.join(corpora) or 'none'}.")
        if opts["per_speaker"]:
            table = voice_corpora.per_speaker_standardised(table)
        report = voice_corpora.report(table, candidates=opts["candidate"], seed=opts["seed"])
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"{len(table.samples)} clips scored, {len(table.rejected)} refused.")
        for candidate, parts in report.items():
            self.stdout.write(f"\n{candidate}")
            for name, figures in parts["leave_one_corpus_out"].items():
                ci = figures.get("ci95", {}).get("balanced_accuracy", ["?", "?"])
                self.stdout.write(
                    f"  {name}: balanced accuracy {figures.get('balanced_accuracy', '-')} "
                    f"(95% {ci[0]}-{ci[1]}), ROC-AUC {figures.get('roc_auc', '-')}, "
                    f"calm below 0.5 {figures.get('calm_below_half', '-')}"
                )
            for name, figures in parts["pooled_speaker_folds"].items():
                ba = figures.get("balanced_accuracy", {})
                self.stdout.write(
                    f"  {name} (pooled, speakers held out): balanced accuracy "
                    f"{ba.get('mean', '-')} ± {ba.get('std', '-')}"
                )
