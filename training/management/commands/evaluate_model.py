"""``manage.py evaluate_model KIND --data-dir DIR``: held-out metrics of a model file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.config import KINDS
from training.datasets import DatasetError


def default_model_path(kind: str) -> Path:
    """The active model of ``kind``, else the newest bundled one under MODELS_DIR/KIND/."""
    from inference.models import ModelVersion
    from inference.registry import resolve_model_path

    active = ModelVersion.objects.filter(kind=kind, is_active=True).first()
    if active is not None:
        return resolve_model_path(active.file_path)
    candidates = sorted(
        (Path(settings.MODELS_DIR) / kind).glob(f"{kind}-*.onnx"), key=lambda p: p.stat().st_mtime
    )
    if not candidates:
        raise CommandError(
            f"No active {kind} model and none under {Path(settings.MODELS_DIR) / kind}; "
            "pass --model PATH."
        )
    return candidates[-1]


class Command(BaseCommand):
    help = (
        "Evaluate a model on a data folder: accuracy, balanced accuracy, F1, ROC-AUC and the "
        "confusion matrix for classifiers; R², RMSE and MAE for burnout. By default the "
        "held-out (test) part of the split the model was trained with; --part all for data "
        "the model never saw."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--data-dir", action="append", type=Path, required=True)
        parser.add_argument("--model", type=Path, help="ONNX file (default: the active model)")
        parser.add_argument("--part", choices=("test", "val", "train", "all"), default="test")
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument(
            "--write-card", action="store_true", help="add the result to the model card"
        )

    def handle(self, *args: object, **opts: Any) -> None:
        from training.evaluate import evaluate_model_file, read_sidecar, record_evaluation

        kind = opts["kind"]
        model = opts["model"] or default_model_path(kind)
        for path in opts["data_dir"]:
            if not path.exists():
                raise CommandError(f"Data folder {path} does not exist.")
        if not model.exists():
            raise CommandError(f"Model file {model} does not exist.")
        try:
            meta = read_sidecar(model)
            if meta["kind"] != kind:
                raise CommandError(f"{model.name} is a {meta['kind']} model, not {kind}.")
            metrics = evaluate_model_file(
                model, data_dirs=tuple(opts["data_dir"]), part=opts["part"], threads=opts["threads"]
            )
        except (DatasetError, FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(metrics, indent=2))
        if opts["write_card"]:
            try:
                card = record_evaluation(
                    model, metrics, part=opts["part"], data_dirs=opts["data_dir"]
                )
            except FileNotFoundError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"Recorded in {card.name}"))
