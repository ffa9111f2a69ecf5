"""``manage.py train KIND``: train, export, check and (optionally) publish and register a model."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.config import CONFIGS, KINDS, TrainOptions
from training.datasets import DatasetError

DEFAULT_VERSION = "local"


class Command(BaseCommand):
    help = (
        "Train a model (fatigue, voice or burnout) on a local data folder, export it to ONNX "
        "with a parity check, write a model card, and optionally publish it into MODELS_DIR "
        "and register it. Re-running with unchanged data and parameters reuses the result; "
        "an interrupted run resumes from its last epoch."
    )
    kind: str | None = None  # fixed by the per-kind subcommands

    def add_arguments(self, parser: CommandParser) -> None:
        if self.kind is None:
            parser.add_argument("kind", choices=KINDS)
        parser.add_argument(
            "--data-dir",
            action="append",
            type=Path,
            required=True,
            help="data folder (repeat for several, e.g. yawn/ and eyes/ for fatigue)",
        )
        parser.add_argument("--out", type=Path, help="work folder (default var/training/KIND)")
        parser.add_argument("--epochs", type=int, help="epochs (trees for burnout)")
        parser.add_argument("--config", choices=CONFIGS, default="small")
        parser.add_argument(
            "--pretrained",
            type=Path,
            help="local Hugging Face model folder for transfer learning "
            "(frozen encoder first, then partial unfreezing)",
        )
        parser.add_argument("--model-version", default=DEFAULT_VERSION, help="version label")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--batch-size", type=int)
        parser.add_argument(
            "--max-samples", type=int, help="cap per class and group (quick trial runs)"
        )
        parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch/ORT")
        parser.add_argument(
            "--scheme",
            choices=("binary", "emotion8"),
            default="binary",
            help="voice labels: binary stress, or 8 emotions with per-class stress weights",
        )
        parser.add_argument(
            "--architecture",
            choices=("features", "wav2vec2"),
            default="features",
            help="voice: pretrained voice features + prosody with a calibrated head "
            "(chosen by leave-actors-out CV), or a Wav2Vec2 classifier",
        )
        parser.add_argument(
            "--cross-validate",
            type=int,
            metavar="FOLDS",
            help="voice wav2vec2: train once per fold of held-out actors and print the "
            "figures with their spread instead of publishing (the feature model always "
            "cross-validates)",
        )
        parser.add_argument("--no-quantize", action="store_true")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="copy the finished files into MODELS_DIR/KIND/",
        )
        parser.add_argument("--register", action="store_true", help="register a ModelVersion")
        parser.add_argument("--activate", action="store_true", help="register and activate it")
        parser.add_argument("--force", action="store_true", help="retrain even if unchanged")

    def handle(self, *args: object, **opts: Any) -> None:
        from training.services import training_run

        kind = self.kind or opts["kind"]
        for path in opts["data_dir"]:
            if not path.exists():
                raise CommandError(f"Data folder {path} does not exist.")
        if opts["pretrained"] and not (opts["pretrained"] / "config.json").exists():
            raise CommandError(f"{opts['pretrained']} is not a Hugging Face model folder.")
        if kind == "voice" and opts["pretrained"] and opts["architecture"] != "wav2vec2":
            raise CommandError(
                "--pretrained is a Wav2Vec2 checkpoint: add --architecture wav2vec2."
            )
        out = opts["out"] or Path(settings.BASE_DIR) / "var" / "training" / kind
        options = TrainOptions(
            kind=kind,
            data_dirs=tuple(opts["data_dir"]),
            out_dir=out,
            version=opts["model_version"],
            epochs=opts["epochs"],
            config=opts["config"],
            pretrained=opts["pretrained"],
            seed=opts["seed"],
            max_samples=opts["max_samples"],
            batch_size=opts["batch_size"],
            threads=opts["threads"],
            scheme=opts["scheme"],
            architecture=opts["architecture"] if kind == "voice" else "features",
            quantize=not opts["no_quantize"],
            progress=opts["verbosity"] > 0 and sys.stderr.isatty(),
        )
        if opts["cross_validate"]:
            self._cross_validate(options, opts["cross_validate"])
            return
        try:
            result = training_run(
                options=options,
                publish_dir=Path(settings.MODELS_DIR) if opts["publish"] else None,
                register=opts["register"] or opts["activate"],
                activate=opts["activate"],
                force=opts["force"],
                reproduce=reproduce_command(options),
                log=lambda line: self.stdout.write(line),
            )
        except (DatasetError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for target in result.card.get("targets", []):
            status = "met" if target["met"] else "NOT met"
            self.stdout.write(
                f"{target['name']}: {target['measured']:.4f} "
                f"(target {target['required']}, {status})"
            )
        self.stdout.write(self.style.SUCCESS(f"{kind}: {result.onnx_path}"))

    def _cross_validate(self, options: TrainOptions, folds: int) -> None:
        from training import voice_data, voice_stress, voice_wav2vec2

        if options.kind != "voice" or options.architecture != "wav2vec2":
            raise CommandError("--cross-validate is for voice --architecture wav2vec2.")
        try:
            speakers = [s.speaker for s in voice_data.labelled_samples(options)]
            groups = voice_stress.actor_folds(speakers, folds=folds, seed=options.seed)
            results = voice_wav2vec2.cross_validate(options, folds=groups)
        except (DatasetError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        summary = voice_stress.summarise_folds(results)
        report = {"options": options.as_params(), "folds": results, "summary": summary}
        options.out_dir.mkdir(parents=True, exist_ok=True)
        path = options.out_dir / "cross_validation.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        for index, fold in enumerate(results, start=1):
            figures = ", ".join(f"{k} {v:.3f}" for k, v in fold["metrics"].items())
            self.stdout.write(f"fold {index} ({' '.join(fold['held_out'])}): {figures}")
        for key, value in summary.items():
            if isinstance(value, dict):
                self.stdout.write(
                    f"{key}: {value['mean']:.3f} ± {value['std']:.3f} "
                    f"(range {value['min']:.3f}-{value['max']:.3f})"
                )
        self.stdout.write(self.style.SUCCESS(f"voice cross-validation: {path}"))


def reproduce_command(options: TrainOptions) -> str:
    """The command line that retrains this model with the same data and parameters."""
    parts = ["python", "manage.py", "train", options.kind]
    for path in options.data_dirs:
        parts += ["--data-dir", str(path)]
    parts += [
        "--config",
        options.config,
        "--seed",
        str(options.seed),
        "--model-version",
        options.version,
    ]
    if options.epochs:
        parts += ["--epochs", str(options.epochs)]
    if options.pretrained:
        parts += ["--pretrained", str(options.pretrained)]
    if options.batch_size:
        parts += ["--batch-size", str(options.batch_size)]
    if options.max_samples:
        parts += ["--max-samples", str(options.max_samples)]
    if options.kind == "voice":
        parts += ["--scheme", options.scheme, "--architecture", options.architecture]
    if not options.quantize:
        parts.append("--no-quantize")
    parts.append("--publish")
    return " ".join(shlex.quote(p) for p in parts)
