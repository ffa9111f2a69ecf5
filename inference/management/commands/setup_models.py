from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inference.errors import InvalidModelFile
from inference.models import ModelVersion
from inference.registry import read_sidecar, register_model_file


class Command(BaseCommand):
    # These commands report model problems themselves; the system check would repeat them.
    requires_system_checks = []
    help = (
        "Register and activate every bundled model under MODELS_DIR (<kind>/<kind>-<version>.onnx "
        "with its sidecar). Safe to run again; kinds without a model are reported, not faked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--models-dir", default=None, help="default: settings.MODELS_DIR")

    def handle(self, *args: Any, models_dir: str | None, **options: Any) -> None:
        root = Path(models_dir or settings.MODELS_DIR)
        candidates = sorted(root.glob("*/*.onnx")) if root.is_dir() else []
        # Every model is registered; the newest version per kind (by name) becomes active.
        latest: dict[str, tuple[str, Path]] = {}
        found: list[Path] = []
        failures = 0
        for path in candidates:
            if not path.with_suffix(".json").is_file():
                continue  # e.g. an int8 variant kept for comparison without a sidecar
            try:
                meta = read_sidecar(path)
            except InvalidModelFile as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"Skipped {path}: {exc.message}"))
                continue
            found.append(path)
            if meta["kind"] not in latest or meta["version"] > latest[meta["kind"]][0]:
                latest[meta["kind"]] = (meta["version"], path)
        for path in found:
            if all(path != chosen for _, chosen in latest.values()):
                try:
                    register_model_file(path, activate=False)
                except InvalidModelFile as exc:
                    failures += 1
                    self.stderr.write(self.style.ERROR(f"Skipped {path}: {exc.message}"))
        for kind in ModelVersion.Kind.values:
            if kind not in latest:
                self.stdout.write(
                    self.style.WARNING(
                        f"{kind}: no model under {root}; check-ins cannot be scored for it "
                        "until one is trained and registered."
                    )
                )
                continue
            _, path = latest[kind]
            try:
                model = register_model_file(path, activate=True)
            except InvalidModelFile as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"{kind}: {exc.message}"))
                continue
            self.stdout.write(self.style.SUCCESS(f"{kind}: {model.version} active ({path})"))
        if failures:
            self.stdout.write(self.style.WARNING(f"{failures} model file(s) could not be used."))
