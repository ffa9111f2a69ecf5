import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference import services, tabular
from inference.errors import InvalidMedia, ModelUnavailable
from inference.runtime import active_metadata
from resonance import indicators


class Command(BaseCommand):
    # These commands report model problems themselves; the system check would repeat them.
    requires_system_checks = []
    help = (
        "Score files with the active models, through the same code the worker runs. "
        "fatigue: image files (one photo each), or a burst: a folder of frames (in name "
        "order), a ZIP archive of frames or a short video (sampled at 4 frames a second), "
        "reported with its eye-closure fraction, blinks, longest closure, yawn fraction and "
        "frames refused; voice: audio files; burnout: CSV files with the HackerEarth columns. "
        "Prints one JSON object per file (per row for burnout)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["fatigue", "voice", "burnout"])
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args: Any, kind: str, paths: list[str], **options: Any) -> None:
        if kind not in indicators.model_kinds():
            raise CommandError(
                f"The signal profile {indicators.profile()!r} does not use the {kind} model "
                "(docs/compliance.md); nothing was scored."
            )
        if kind == "burnout":
            for path in paths:
                self._burnout_csv(Path(path))
            return
        for path in paths:
            try:
                if kind == "fatigue" and _is_burst(Path(path)):
                    result = services.score_burst(Path(path))
                else:
                    result = services.score_media(kind, Path(path))
            except (InvalidMedia, ModelUnavailable) as exc:
                self._emit({"path": path, "error": exc.message})
                continue
            self._emit(
                {
                    "path": path,
                    "score": round(result.score, 6),
                    "label": result.label,
                    "probabilities": {k: round(v, 6) for k, v in result.probabilities.items()},
                    "model_version": result.model_version,
                    **({"burst": result.burst} if result.burst else {}),
                }
            )

    def _burnout_csv(self, path: Path) -> None:
        try:
            handle = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            self._emit({"path": str(path), "error": f"cannot read: {exc.strerror}"})
            return
        with handle:
            reader = csv.DictReader(handle)
            required = set(tabular.HACKEREARTH_COLUMNS.values())
            missing = sorted(required - set(reader.fieldnames or []))
            if missing:
                raise CommandError(f"{path}: missing CSV column(s): {', '.join(missing)}")
            reference = self._reference_date()
            for number, row in enumerate(reader, start=1):
                record = {"path": str(path), "row": number}
                if row.get("Employee ID"):
                    record["employee_id"] = row["Employee ID"]
                try:
                    features = tabular.features_from_hackerearth_row(row, reference_date=reference)
                    result = services.score_burnout(features)
                except (InvalidMedia, ModelUnavailable) as exc:
                    self._emit(record | {"error": exc.message})
                    continue
                self._emit(
                    record
                    | {"score": round(result.score, 6), "model_version": result.model_version}
                )

    def _reference_date(self) -> date:
        meta = active_metadata("burnout") or {}
        tenure = (meta.get("feature_encoding") or {}).get("tenure_days") or {}
        if tenure.get("reference_date"):
            return date.fromisoformat(tenure["reference_date"])
        return tabular.HACKEREARTH_REFERENCE_DATE

    def _emit(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload))


VIDEO_SUFFIXES = {".mp4", ".webm", ".mov", ".mkv", ".avi", ".y4m", ".mjpeg"}


def _is_burst(path: Path) -> bool:
    """A folder of frames, a ZIP archive of frames or a short video: a burst."""
    return path.is_dir() or path.suffix.lower() in {".zip", *VIDEO_SUFFIXES}
