"""``manage.py calibrate_fatigue``: fit the fatigue model's eye part on whole faces."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.datasets import DatasetError


class Command(BaseCommand):
    help = (
        "Calibrate the fatigue model's eye part on whole faces (awake faces with glasses, "
        "dim light, mirrored and tilted variants; the same faces with real closed-eye "
        "close-ups blended in), report out-of-fold ROC-AUC, balanced accuracy, false alarms "
        "on open-eyed faces and calibration against the current combiner, and write the model "
        "with the new combiner as a new version (same CNN file, new sidecar and card). Uses "
        "only the validation and test parts of the split the CNN was trained with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            action="append",
            type=Path,
            required=True,
            help="the folders the model was trained on (yawn/ and eyes/), as for train",
        )
        parser.add_argument("--model", type=Path, required=True, help="the fatigue ONNX file")
        parser.add_argument("--model-version", required=True, help="version of the result")
        parser.add_argument("--out-dir", type=Path, help="default: the model's folder")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--max-faces", type=int, help="cap on awake faces (quick runs)")
        parser.add_argument("--dry-run", action="store_true", help="report; write nothing")
        parser.add_argument(
            "--squeezed-shut",
            action="store_true",
            help="also build closed faces with each eye's opening squeezed to a tenth",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from inference.registry import read_sidecar
        from training import fatigue_calibration as calibration
        from training.artifacts import ort_session
        from training.config import TrainOptions
        from training.fatigue_data import held_out
        from training.fatigue_pipeline import onnx_predictor

        model: Path = opts["model"]
        if not model.is_file():
            raise CommandError(f"No model file at {model}.")
        meta = read_sidecar(model)
        options = TrainOptions(
            kind="fatigue",
            data_dirs=tuple(opts["data_dir"]),
            out_dir=Path("."),
            version=meta["version"],
            seed=int(meta.get("training", {}).get("seed", opts["seed"])),
        )
        try:
            unseen = held_out(options, part="val") + held_out(options, part="test")
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        labelled = calibration.labelled_eye_states(options.data_dirs)
        shut = {path.resolve() for path in labelled["closed"]}
        # A few people "not yawning" have their eyes shut: they are not awake examples.
        faces = [
            s
            for s in unseen
            if s.subset == "yawn" and s.label == "alert" and s.path.resolve() not in shut
        ]
        yawning = [s for s in unseen if s.subset == "yawn" and s.label == "fatigued"]
        crops = [s.path for s in unseen if s.subset == "eyes" and s.label == "fatigued"]
        open_crops = [s.path for s in unseen if s.subset == "eyes" and s.label == "alert"]
        if opts["max_faces"]:
            faces = faces[: opts["max_faces"]]
        predict = onnx_predictor(ort_session(model))
        self.stdout.write(f"Scoring {len(faces)} awake faces with {len(crops)} closed-eye crops…")
        try:
            rows = calibration.calibration_rows(
                faces,
                crops,
                metadata=meta,
                predict=predict,
                seed=opts["seed"],
                squeezed_shut=opts["squeezed_shut"],
            )
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        # The baseline: the eye part fitted on eye close-ups (kept as "eye_crops" once calibrated).
        crops_part = meta["combiner"].get("eye_crops", meta["combiner"]["eyes"])
        before = calibration.figures(rows, calibration._fatigued(rows, crops_part))
        after = calibration.cross_validated(rows, seed=opts["seed"])
        eyes = calibration.fit_eyes(rows)
        report: dict[str, Any] = {"before": before, "after_out_of_fold": after, "eyes": eyes}
        if "eye_crops" in meta["combiner"]:  # already calibrated: how the shipped part does
            report["current_in_sample"] = calibration.figures(
                rows, calibration._fatigued(rows, meta["combiner"]["eyes"])
            )
        parts = {"before": crops_part, "current": meta["combiner"]["eyes"], "after": eyes}
        if "eye_crops" not in meta["combiner"]:
            del parts["current"]
        report["yawning_faces"] = {
            name: calibration.yawning_figures(yawning, part, metadata=meta, predict=predict)
            for name, part in parts.items()
        }
        report["eye_closeups"] = {
            name: calibration.closeup_figures(
                crops,
                open_crops,
                part,
                ear_mean=calibration.awake_median_ear(rows),
                metadata=meta,
                predict=predict,
            )
            for name, part in parts.items()
        }
        report["real_whole_faces"] = {
            name: calibration.real_face_figures(labelled, part, metadata=meta, predict=predict)
            for name, part in parts.items()
        }
        self._print(before, after)
        if opts["dry_run"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self._write(model, meta, opts, report, eyes, len(faces), len(crops))

    def _print(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        for name, fig in (("current combiner", before), ("whole-face calibration", after)):
            self.stdout.write(
                f"{name}: ROC-AUC {fig['roc_auc']:.3f}, balanced accuracy "
                f"{fig['balanced_accuracy']:.3f}, open-eyed photos at >= 0.5 "
                f"{fig['false_alarms_open_eyed_photos']:.1%}, all awake "
                f"{fig['false_alarms_all_awake']:.1%}, closed detected "
                f"{fig['closed_detected']:.1%}, ECE {fig['calibration']['ece']:.3f}"
            )

    def _write(
        self,
        model: Path,
        meta: dict[str, Any],
        opts: dict[str, Any],
        report: dict[str, Any],
        eyes: dict[str, Any],
        n_faces: int,
        n_crops: int,
    ) -> None:
        from training.fatigue_calibration import AWAKE_VARIANTS, CLOSED_VARIANTS, SHUT_VARIANTS

        version = opts["model_version"]
        out_dir: Path = opts["out_dir"] or model.parent
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"fatigue-{version}"
        target = out_dir / f"{stem}.onnx"
        if target.resolve() != model.resolve():
            shutil.copyfile(model, target)
        command = (
            "python manage.py calibrate_fatigue "
            + " ".join(f"--data-dir {d}" for d in opts["data_dir"])
            + f" --model {model} --model-version {version}"
        )
        calibration = {
            "method": "training.fatigue_calibration: eye part refitted on whole faces",
            "data": {
                "awake_faces": n_faces,
                "closed_eye_crops": n_crops,
                "awake_variants": list(AWAKE_VARIANTS),
                "closed_variants": [
                    *CLOSED_VARIANTS,
                    *(SHUT_VARIANTS if opts["squeezed_shut"] else ()),
                ],
                "note": "closed-eye faces are built: real closed-eye close-ups blended into "
                "the awake faces; no whole face with closed eyes is in the data sets",
            },
            "from_version": meta["version"],
            "command": command,
            **report,
        }
        sidecar = dict(meta)
        sidecar.update(
            version=version,
            onnx_file=target.name,
            model_card=f"{stem}.md",
            combiner={
                **meta["combiner"],
                "eyes": eyes,
                # The crop-level part, kept for eye close-ups (a recalibration keeps the first).
                "eye_crops": meta["combiner"].get("eye_crops", meta["combiner"]["eyes"]),
            },
            calibration=calibration,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        (out_dir / f"{stem}.json").write_text(json.dumps(sidecar, indent=2) + "\n")
        card_source = model.with_name(f"{model.stem}.card.json")
        card = json.loads(card_source.read_text()) if card_source.is_file() else {}
        card.update(version=version, onnx_file=target.name, calibration=calibration)
        card["combiner"] = sidecar["combiner"]
        (out_dir / f"{stem}.card.json").write_text(json.dumps(card, indent=2) + "\n")
        markdown = model.with_suffix(".md")
        text = markdown.read_text() if markdown.is_file() else f"# Model card: fatigue {version}\n"
        text = text.split("\n## Whole-face calibration")[0]  # a recalibration replaces it
        text = text.replace(f"fatigue {meta['version']}", f"fatigue {version}", 1)
        text = text.replace(model.name, target.name)
        (out_dir / f"{stem}.md").write_text(text.rstrip() + "\n\n" + _card_section(calibration))
        self.stdout.write(self.style.SUCCESS(f"Wrote {target} and its sidecar and card."))


FEATURE_WORDS = {
    "logit_eyes": "the CNN's score of the two eyes",
    "ear_mean": "the landmark mesh's mean eye aspect ratio",
    "lid_ear_mean": "the eye model's mean lid aspect ratio (`inference.eyelids`)",
}


def _row(name: str, fig: dict[str, Any]) -> str:
    return (
        f"| {name} | {fig['n']} | {fig['roc_auc']:.3f} | {fig['balanced_accuracy']:.3f} | "
        f"{fig['false_alarms_open_eyed_photos']:.1%} | {fig['false_alarms_all_awake']:.1%} | "
        f"{fig['closed_detected']:.1%} | {fig['calibration']['ece']:.3f} |"
    )


def _card_section(calibration: dict[str, Any]) -> str:
    before, after = calibration["before"], calibration["after_out_of_fold"]
    part_names = {
        "before": "fitted on eye close-ups",
        "current": f"previous whole-face fit ({calibration['from_version']})",
        "after": "this version",
    }
    lines = [
        "## Whole-face calibration",
        "",
        f"The eye part of the combiner was refitted on whole faces ({calibration['method']}): "
        "logistic P(eyes closed) on "
        + ", ".join(FEATURE_WORDS[name] for name in calibration["eyes"]["features"])
        + f"; coefficients {calibration['eyes']['coef']}, intercept "
        f"{calibration['eyes']['intercept']}. The crop-level part is kept as `eye_crops` for "
        "evaluating eye close-ups.",
        "",
        f"Data: {calibration['data']['awake_faces']} awake whole faces from the CNN's "
        "validation and test parts (`yawn/no_yawn`: people not yawning, with glasses, "
        "sunglasses, turned heads and looking down as photographed) and five variants of each "
        "(dim light at 45 % brightness, mirrored, tilted 8-15°, drawn glasses frames, eyes "
        "narrowed to half their opening as in a squint or a broad smile); closed "
        f"eyes: the same faces with {calibration['data']['closed_eye_crops']} real closed-eye "
        "close-ups (`eyes/closed`, also unseen by the CNN) colour-matched and blended into "
        "both eyes, as photographed and dimmed. **The closed-eye faces are built**: the data "
        "sets hold few whole faces with closed eyes (the hand-labelled ones below, most of them "
        "yawning, are kept for measuring, not fitted on), so the detection rate in this table "
        "is measured on built faces and the false-alarm rate on real ones.",
        "",
        f"Figures at the 0.5 threshold ({after['method']}, out of fold):",
        "",
        "| combiner | faces | ROC-AUC | balanced accuracy | open-eyed photos ≥ 0.5 | "
        "all awake ≥ 0.5 | closed ≥ 0.5 | ECE |",
        "|---|---|---|---|---|---|---|---|",
        _row("before (fitted on eye close-ups)", before),
        _row("after (whole faces)", after),
        "",
        "Per variant after calibration (share at or above 0.5):",
        "",
        "| variant | faces | ≥ 0.5 |",
        "|---|---|---|",
        *(
            f"| {name} | {v['n']} | {v['at_or_above_0_5']:.1%} |"
            for name, v in after["per_variant"].items()
        ),
        "",
        "Real eyes (the data sets' only real closed eyes are close-ups, `eyes/closed`, unseen "
        "by the CNN; each close-up stands for both eyes of a face, the CNN scores it and the "
        "eye model measures its lids, and the mesh's eye aspect ratio, which cannot be measured "
        "on a close-up, is held at the awake faces' median "
        f"{calibration['eye_closeups']['after']['mesh_ear_held_at']}, as if it did not see the "
        "eyes close):",
        "",
        "| eye part | closed close-ups ≥ 0.5 | open close-ups ≥ 0.5 |",
        "|---|---|---|",
        *(
            f"| {part_names[name]} | {v['closed']['at_or_above_0_5']:.1%} of {v['closed']['n']} | "
            f"{v['open']['at_or_above_0_5']:.1%} of {v['open']['n']} |"
            for name, v in calibration["eye_closeups"].items()
        ),
        "",
        "Real whole faces with closed eyes: faces of the yawn data set labelled by looking at "
        "them (`training/labels/yawn_eye_state.json`: both eyes shut, most of them while "
        "yawning; kept out of the awake examples), and the hardest clearly open-eyed ones:",
        "",
        "| eye part | closed-eyed faces: eye part ≥ 0.5 | P(fatigued) ≥ 0.5 | "
        "hard open-eyed faces: eye part ≥ 0.5 |",
        "|---|---|---|---|",
        *(
            f"| {part_names[name]} | {v['closed'].get('eye_part_at_or_above_0_5', 0):.1%} of "
            f"{v['closed']['n']} | {v['closed'].get('fatigued_at_or_above_0_5', 0):.1%} | "
            f"{v['open_hard'].get('eye_part_at_or_above_0_5', 0):.1%} of {v['open_hard']['n']} |"
            for name, v in calibration["real_whole_faces"].items()
        ),
        "",
        "Reliability (out of fold, P(fatigued) in bins of 0.1):",
        "",
        "| bin | faces | mean predicted | observed closed |",
        "|---|---|---|---|",
        *(
            f"| {b['bin'][0]:.1f}-{b['bin'][1]:.1f} | {b['n']} | {b['predicted']:.3f} | "
            f"{b['observed']:.3f} |"
            for b in after["calibration"]["curve"]
        ),
        "",
        "Against the person's own usual: once someone has 5 scored days, My trends shows each "
        "day's fatigue against the median and robust spread of their previous 28 days "
        "(`metrics.baselines`). Alerts do not use fatigue by itself: it counts through the "
        'FlowScore, whose fixed levels and "below your usual" rule raise them.',
        "",
        f"Reproduce: `{calibration['command']}`",
        "",
    ]
    return "\n".join(lines)
