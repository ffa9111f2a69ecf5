"""``manage.py download_datasets``: fetch the original Kaggle data sets when possible."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

# Folder under --dest -> (Kaggle slug, what the training command reads there).
DATASETS: dict[str, tuple[str, str]] = {
    "burnout": (
        "redwankarimsony/hackerearth-employee-burnout-challenge",
        "train.csv with the HackerEarth columns (train burnout --data-dir DEST/burnout)",
    ),
    "ravdess": (
        "uwrfkaggler/ravdess-emotional-speech-audio",
        "Actor_NN/03-01-EE-II-SS-RR-AA.wav files (train voice --data-dir DEST/ravdess)",
    ),
    "drowsiness": (
        "ismailnasri20/driver-drowsiness-dataset-ddd",
        "class folders 'Drowsy' and 'Non Drowsy' (train fatigue --data-dir DEST/drowsiness)",
    ),
}


def kaggle_credentials_present() -> bool:
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    config_dir = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (config_dir / "kaggle.json").exists()


def manual_instructions(dest: Path) -> str:
    lines = ["Place the data sets by hand (download them from kaggle.com/datasets/<slug>):"]
    for folder, (slug, layout) in DATASETS.items():
        lines.append(f"  {dest / folder}/  <- {slug}: {layout}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Download the original Kaggle data sets (HackerEarth burnout, RAVDESS speech, driver "
        "drowsiness) with the kaggle CLI when it, its credentials and a network are available; "
        "otherwise print where to place them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dest",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "datasets",
            help="folder to download into (default var/datasets)",
        )
        parser.add_argument("--only", choices=sorted(DATASETS), action="append")

    def handle(self, *args: object, **opts: Any) -> None:
        dest: Path = opts["dest"]
        wanted = opts["only"] or list(DATASETS)
        kaggle = shutil.which("kaggle")
        if kaggle is None or not kaggle_credentials_present():
            reason = (
                "the kaggle command is not installed (pip install kaggle)"
                if kaggle is None
                else "no Kaggle credentials (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)"
            )
            raise CommandError(f"Cannot download: {reason}.\n{manual_instructions(dest)}")
        failures = []
        for folder in wanted:
            slug, layout = DATASETS[folder]
            target = dest / folder
            target.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"Downloading {slug} into {target} ...")
            result = subprocess.run(
                [kaggle, "datasets", "download", "-d", slug, "-p", str(target), "--unzip"],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                failures.append(f"{slug}: {result.stderr.strip() or result.stdout.strip()}")
                continue
            self.stdout.write(self.style.SUCCESS(f"{slug}: done ({layout})"))
        if failures:
            raise CommandError(
                "Some downloads failed (no network?):\n  "
                + "\n  ".join(failures)
                + "\n"
                + manual_instructions(dest)
            )
