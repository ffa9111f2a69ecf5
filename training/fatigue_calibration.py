"""Whole-face calibration of the fatigue model's eye part, with expressions among the awake.

The eye-state CNN learnt from eye close-ups; at a check-in it sees eyes cut from whole faces
by the landmarks, and its scores there are not calibrated: open eyes behind sunglasses, eyes
looking down or a turned head read as closed. This module fits the eye part of the combiner
on *whole faces* instead, from three measures the check-in has of every photo: the CNN's score
of the two eyes, the eye aspect ratio of the landmark mesh and the lid aspect ratio of the eye
model (``inference.eyelids``).

The data (nothing here was seen by the CNN in training: its validation and test parts only):

* **awake**: real whole faces of people not yawning (``yawn/no_yawn``), as photographed
  (glasses and sunglasses, turned heads, looking down among them) and five variants of each:
  dim light, mirrored, tilted, with drawn glasses frames, and with the eyes narrowed to half
  their opening (a squint, or the narrowed eyes of a broad smile);
* **eyes closed**: the same faces, as photographed and dimmed, with each eye replaced by a real
  closed-eye close-up (``eyes/closed``), colour-matched and feathered into the face along the
  landmarks. The data sets hold no whole face with closed eyes; these are built, and the model
  card says so.

The real closed eyes of ``eyes/closed`` (and the open ones of ``eyes/open``) are also scored
as close-ups (``closeup_figures``): the check that the eye part flags real closed eyes.

Faces are grouped by near-duplicate chains (the images carry no subject ids) and every figure
is out-of-fold over five grouped folds: variants and synthetic faces of one photo never sit on
both sides.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from inference import eyelids, face, face_models
from inference import fatigue as pipeline
from inference.face_measures import LEFT_EYE, RIGHT_EYE
from inference.preprocessing import decode_image, image_to_tensor
from training import dedup
from training.datasets import DatasetError, ImageSample

Predict = Callable[[np.ndarray], np.ndarray]

AWAKE_VARIANTS = ("photo", "dim", "mirrored", "tilted", "glasses", "squint")
CLOSED_VARIANTS = ("closed", "closed_dim", "painted", "painted_dim")
FEATURES = ("logit_eyes", "ear_mean", "lid_ear_mean")
FOLDS = 5
SHUT_VARIANTS = ("shut", "shut_dim")  # optional: lids squeezed to a tenth of the opening
SHUT_FACTOR = 0.1


@dataclass
class FaceRow:
    """One whole face through the check-in pipeline: what the combiner reads, and P(fatigued)
    as the yawn part and a given eye part make it."""

    label: int  # 1: eyes closed
    variant: str
    group: str
    eye_scores: tuple[float, float]
    ear_mean: float
    lid_ear_mean: float
    yawn: float
    features: list[float] = field(default_factory=list)


def _dim(image: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(0.45)


def _tilted(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice((-1, 1)) * rng.uniform(8.0, 15.0)
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128))


def _eye_frame(analysis: face.FaceAnalysis, eye: Sequence[int]) -> tuple[np.ndarray, float]:
    points = analysis.landmarks[list(eye), :2]
    return points.mean(0), float(np.linalg.norm(points[3] - points[0]))


def _with_glasses(image: Image.Image, analysis: face.FaceAnalysis) -> Image.Image:
    """Thin dark frames around both eyes and a bridge: clear glasses, eyes visible."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    centres = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        centre, width = _eye_frame(analysis, eye)
        half_w, half_h = 0.95 * width, 0.6 * width
        box = (centre[0] - half_w, centre[1] - half_h, centre[0] + half_w, centre[1] + half_h)
        draw.ellipse(box, outline=(25, 25, 25), width=max(2, round(width / 9)))
        centres.append((centre, half_w))
    (a, wa), (b, wb) = centres
    direction = (b - a) / (np.linalg.norm(b - a) or 1.0)
    start, end = a + direction * wa, b - direction * wb
    draw.line([tuple(start), tuple(end)], fill=(25, 25, 25), width=max(2, round(wa / 10)))
    return out


def _squinted(image: Image.Image, analysis: face.FaceAnalysis, factor: float = 0.5) -> Image.Image:
    """Both eyes narrowed (a squint, or the narrowed eyes of a broad smile): each eye's opening
    squeezed to ``factor`` of its height, the lids' skin stretched to fill, fading out towards
    the corners. Awake: narrowed eyes are not closed ones."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    out = pixels.copy()
    height, width = pixels.shape[:2]
    for eye in (RIGHT_EYE, LEFT_EYE):
        points = analysis.landmarks[list(eye), :2]
        centre, eye_width = _eye_frame(analysis, eye)
        opening = max(1.0, float(np.ptp(points[:, 1])) / 2 + 1)  # half the eye's height
        reach = 0.7 * eye_width  # rows this far above and below the centre are remapped
        x0, x1 = int(centre[0] - eye_width), int(centre[0] + eye_width) + 1
        y0, y1 = int(centre[1] - reach), int(centre[1] + reach) + 1
        for x in range(max(0, x0), min(width, x1)):
            taper = max(0.0, math.cos(math.pi / 2 * abs(x - centre[0]) / eye_width))
            for y in range(max(0, y0), min(height, y1)):
                r = y - centre[1]
                squeezed = opening * factor
                if abs(r) < squeezed:
                    source = r / factor
                else:
                    outer = (abs(r) - squeezed) * (reach - opening) / (reach - squeezed)
                    source = math.copysign(opening + outer, r)
                source_y = centre[1] + r + taper * (source - r)
                low = int(np.clip(math.floor(source_y), 0, height - 1))
                high = min(height - 1, low + 1)
                weight = float(np.clip(source_y - low, 0, 1))
                out[y, x] = pixels[low, x] * (1 - weight) + pixels[high, x] * weight
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _painted_shut(image: Image.Image, analysis: face.FaceAnalysis) -> Image.Image:
    """Each eye's opening painted over with the skin just below it and a lid line drawn where
    the lids meet, softened: closed eyes the landmark mesh sees as closed (its eye aspect ratio
    drops, as on a real closed eye), where a blended close-up barely moves it."""
    from PIL import ImageFilter

    out = image.convert("RGB").copy()
    pixels = np.asarray(out)
    draw = ImageDraw.Draw(out)
    for eye in (RIGHT_EYE, LEFT_EYE):
        points = analysis.landmarks[list(eye), :2]
        centre, width = _eye_frame(analysis, eye)
        below = np.clip(
            [round(centre[1] + 0.6 * width), round(centre[0])],
            0,
            [pixels.shape[0] - 1, pixels.shape[1] - 1],
        )
        patch = pixels[max(0, below[0] - 2) : below[0] + 3, max(0, below[1] - 2) : below[1] + 3]
        skin = tuple(int(v) for v in patch.reshape(-1, 3).mean(0))
        (x0, y0), (x1, y1) = points.min(0) - 2, points.max(0) + 2
        draw.ellipse([x0, y0, x1, y1], fill=skin)
        lid = (y0 + y1) / 2 + 0.1 * (y1 - y0)
        draw.line([x0, lid, x1, lid], fill=(60, 40, 30), width=max(1, round(width / 14)))
    return out.filter(ImageFilter.GaussianBlur(0.8))


def _closed_eyes(
    image: Image.Image, analysis: face.FaceAnalysis, crops: Sequence[Path], rng: random.Random
) -> Image.Image:
    """Each eye replaced by a real closed-eye close-up, rotated with the face, colour-matched
    to the skin around the eye and blended in with a feathered ellipse."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32).copy()
    for eye in (RIGHT_EYE, LEFT_EYE):
        centre, width = _eye_frame(analysis, eye)
        side = max(8, round(width * 1.5))
        patch_image = Image.open(rng.choice(crops)).convert("RGB").resize((side, side))
        patch_image = patch_image.rotate(
            -math.degrees(analysis.angle), resample=Image.Resampling.BILINEAR
        )
        patch = np.asarray(patch_image, dtype=np.float32)
        x0 = round(centre[0] - side / 2)
        y0 = round(centre[1] - side / 2 + 0.05 * side)
        ys = slice(max(0, y0), min(pixels.shape[0], y0 + side))
        xs = slice(max(0, x0), min(pixels.shape[1], x0 + side))
        target = pixels[ys, xs]
        if target.size == 0:
            continue
        patch = patch[ys.start - y0 : ys.start - y0 + target.shape[0]]
        patch = patch[:, xs.start - x0 : xs.start - x0 + target.shape[1]]
        patch = (patch - patch.mean((0, 1))) / (patch.std((0, 1)) + 1e-3)
        patch = patch * target.std((0, 1)) + target.mean((0, 1))
        rows, cols = np.mgrid[0 : patch.shape[0], 0 : patch.shape[1]]
        distance = ((rows - side / 2) / (0.38 * side)) ** 2 + (
            (cols - side / 2) / (0.5 * side)
        ) ** 2
        mask = np.clip((1 - distance) / 0.35, 0, 1)[..., None]
        pixels[ys, xs] = target * (1 - mask) + patch * mask
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _row(
    image: Image.Image,
    *,
    label: int,
    variant: str,
    group: str,
    metadata: dict[str, Any],
    predict: Predict,
) -> FaceRow | None:
    try:
        result = pipeline.estimate(image, metadata=metadata, predict=predict, measure_lids=True)
    except face.PhotoRejected:
        return None  # the gate refuses it at a check-in too: nothing to calibrate
    return FaceRow(
        label=label,
        variant=variant,
        group=group,
        eye_scores=result.eye_scores,
        ear_mean=result.features["ear_mean"],
        lid_ear_mean=result.features["lid_ear_mean"],
        yawn=result.yawn,
    )


def calibration_rows(
    faces: Sequence[ImageSample],
    closed_crops: Sequence[Path],
    *,
    metadata: dict[str, Any],
    predict: Predict,
    seed: int = 7,
    squeezed_shut: bool = False,
) -> list[FaceRow]:
    """Every awake face and its variants, and its closed-eye versions, through the pipeline.

    ``squeezed_shut`` adds closed faces built by squeezing each eye's opening to a tenth (closed
    as PERCLOS counts it, >= 80 %): the hardest case to tell from a squint, which keeps half."""
    if not faces or not closed_crops:
        raise DatasetError("Calibration needs awake whole faces and closed-eye close-ups.")
    rng = random.Random(seed)
    groups = dedup.duplicate_groups(dedup.hash_files(s.path for s in faces))
    rows: list[FaceRow] = []
    for sample, group in zip(faces, groups, strict=True):
        photo = decode_image(sample.path).convert("RGB")
        try:
            analysis = face.analyse_face(photo)
        except face.PhotoRejected:
            continue
        group_id = f"face-{group}"
        awake = {
            "photo": photo,
            "dim": _dim(photo),
            "mirrored": ImageOps.mirror(photo),
            "tilted": _tilted(photo, rng),
            "glasses": _with_glasses(photo, analysis),
            "squint": _squinted(photo, analysis),
        }
        closed = _closed_eyes(photo, analysis, closed_crops, rng)
        painted = _painted_shut(photo, analysis)
        shut = {
            "closed": closed,
            "closed_dim": _dim(closed),
            "painted": painted,
            "painted_dim": _dim(painted),
        }
        if squeezed_shut:
            squeezed = _squinted(photo, analysis, factor=SHUT_FACTOR)
            shut.update(shut=squeezed, shut_dim=_dim(squeezed))
        for label, images in ((0, awake), (1, shut)):
            for variant, image in images.items():
                row = _row(
                    image,
                    label=label,
                    variant=variant,
                    group=group_id,
                    metadata=metadata,
                    predict=predict,
                )
                if row is not None:
                    rows.append(row)
    return rows


NEARLY_SHUT_EAR = 0.17  # the mesh's eye aspect ratio of real closed eyes is about 0.1-0.17


def yawning_figures(
    faces: Sequence[ImageSample],
    eyes: dict[str, Any],
    *,
    metadata: dict[str, Any],
    predict: Predict,
) -> dict[str, Any]:
    """Real yawning faces through the pipeline with the given eye part: the share scored as
    fatigued, and among those whose eyes the mesh measures as nearly shut (squeezed while
    yawning: the only real whole faces with closed eyes in the data sets), how often the eye
    part alone flags them."""
    rows = [
        row
        for sample in faces
        if (
            row := _row(
                decode_image(sample.path).convert("RGB"),
                label=1,
                variant="yawning",
                group="yawning",
                metadata=metadata,
                predict=predict,
            )
        )
        is not None
    ]
    if not rows:
        return {"n": 0}
    eyes_closed = np.asarray([_eyes_closed(r, eyes) for r in rows])
    fatigued = _fatigued(rows, eyes)
    shut = np.asarray([r.ear_mean < NEARLY_SHUT_EAR for r in rows])
    return {
        "n": len(rows),
        "fatigued_at_or_above_0_5": round(float((fatigued >= 0.5).mean()), 4),
        "nearly_shut": {
            "n": int(shut.sum()),
            "eye_part_at_or_above_0_5": round(float((eyes_closed[shut] >= 0.5).mean()), 4)
            if shut.any()
            else None,
            "fatigued_at_or_above_0_5": round(float((fatigued[shut] >= 0.5).mean()), 4)
            if shut.any()
            else None,
        },
    }


def closeup_figures(
    closed: Sequence[Path],
    open_: Sequence[Path],
    eyes: dict[str, Any],
    *,
    ear_mean: float,
    metadata: dict[str, Any],
    predict: Predict,
) -> dict[str, Any]:
    """Real eyes, closed and open, with an eye part: the only real closed eyes in the data sets
    are close-ups (``eyes/``), so each close-up stands for both eyes of a face. The CNN scores
    the close-up and the eye model measures its lids; the mesh cannot run on a close-up, so its
    eye aspect ratio is held at ``ear_mean`` (the awake faces' median: as if the mesh did not
    see the eyes close at all, the worst case)."""
    session = face_models.face_session(face_models.EYES)
    preprocessing = metadata.get("preprocessing", {})

    def rows_of(paths: Sequence[Path], label: int) -> list[FaceRow]:
        rows = []
        for path in paths:
            crop = decode_image(path).convert("RGB")
            score = float(np.asarray(predict(image_to_tensor(crop, **preprocessing))).ravel()[0])
            pixels = np.asarray(
                crop.resize((eyelids.EYE_MODEL_SIZE,) * 2, Image.Resampling.BILINEAR),
                dtype=np.float32,
            )
            contour = session.run(None, {session.get_inputs()[0].name: pixels[None] / 255.0})[0]
            lids = eyelids.lid_aspect_ratio(np.asarray(contour).reshape(-1, 3))
            rows.append(
                FaceRow(
                    label=label,
                    variant="close-up",
                    group="close-up",
                    eye_scores=(score, score),
                    ear_mean=ear_mean,
                    lid_ear_mean=lids,
                    yawn=0.0,
                )
            )
        return rows

    figures_of = {}
    for name, rows in (("closed", rows_of(closed, 1)), ("open", rows_of(open_, 0))):
        flagged = np.asarray([_eyes_closed(r, eyes) >= 0.5 for r in rows])
        figures_of[name] = {
            "n": len(rows),
            "at_or_above_0_5": round(float(flagged.mean()), 4) if len(rows) else None,
        }
    return {"mesh_ear_held_at": round(ear_mean, 4), **figures_of}


EYE_STATE_LABELS = Path(__file__).parent / "labels" / "yawn_eye_state.json"


def labelled_eye_states(data_dirs: Sequence[Path]) -> dict[str, list[Path]]:
    """The hand-labelled whole faces of the yawn data set (``labels/yawn_eye_state.json``):
    ``closed`` (both eyes shut: the only real whole faces with closed eyes in the data sets)
    and ``open_hard``; empty lists when no yawn folder is among ``data_dirs``."""
    import json

    labels = json.loads(EYE_STATE_LABELS.read_text())
    folder = next((d for d in data_dirs if (d / "no_yawn").is_dir()), None)
    if folder is None:
        return {"closed": [], "open_hard": []}
    return {
        name: [folder / path for path in labels[name] if (folder / path).is_file()]
        for name in ("closed", "open_hard")
    }


def real_face_figures(
    labelled: dict[str, list[Path]],
    eyes: dict[str, Any],
    *,
    metadata: dict[str, Any],
    predict: Predict,
) -> dict[str, Any]:
    """The hand-labelled real whole faces with an eye part: the share of closed-eyed faces the
    eye part flags (and P(fatigued) flags: most of them also yawn), and of hard open-eyed faces
    it flags."""
    out: dict[str, Any] = {}
    for name, label in (("closed", 1), ("open_hard", 0)):
        rows = [
            row
            for path in labelled[name]
            if (
                row := _row(
                    decode_image(path).convert("RGB"),
                    label=label,
                    variant=name,
                    group=name,
                    metadata=metadata,
                    predict=predict,
                )
            )
            is not None
        ]
        if not rows:
            out[name] = {"n": 0}
            continue
        out[name] = {
            "n": len(rows),
            "eye_part_at_or_above_0_5": round(
                float(np.mean([_eyes_closed(r, eyes) >= 0.5 for r in rows])), 4
            ),
            "fatigued_at_or_above_0_5": round(float((_fatigued(rows, eyes) >= 0.5).mean()), 4),
        }
    return out


def awake_median_ear(rows: Sequence[FaceRow]) -> float:
    return float(np.median([r.ear_mean for r in rows if r.variant == "photo"]))


def _logit(p: float) -> float:
    clipped = min(1 - 1e-6, max(1e-6, p))
    return math.log(clipped / (1 - clipped))


def features_of(row: FaceRow, names: Sequence[str] = FEATURES) -> list[float]:
    values = {
        "logit_eyes": _logit(float(np.mean(row.eye_scores))),
        "ear_mean": row.ear_mean,
        "lid_ear_mean": row.lid_ear_mean,
    }
    return [values[name] for name in names]


def _eyes_closed(row: FaceRow, eyes: dict[str, Any]) -> float:
    return pipeline.eyes_closed_probability(
        {"eyes": eyes},
        eye_scores=row.eye_scores,
        ear_mean=row.ear_mean,
        lid_ear_mean=row.lid_ear_mean,
    )


def fit_eyes(rows: Sequence[FaceRow], names: Sequence[str] = FEATURES) -> dict[str, Any]:
    """The combiner's eye part: logistic P(eyes closed) on ``names`` (the CNN's score of the
    eyes, the mesh's eye aspect ratio, the eye model's lid aspect ratio), classes weighted
    equally."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([features_of(r, names) for r in rows], dtype=np.float64)
    y = np.asarray([r.label for r in rows])
    if len(set(y.tolist())) < 2:
        raise DatasetError("The eye calibration needs awake and closed-eye faces.")
    fitted = LogisticRegression(C=1.0, class_weight="balanced").fit(x, y)
    return {
        "features": list(names),
        "coef": [round(float(c), 6) for c in fitted.coef_[0]],
        "intercept": round(float(fitted.intercept_[0]), 6),
        "n": len(rows),
        "fitted_on": "whole faces (training.fatigue_calibration)",
    }


def _fatigued(rows: Sequence[FaceRow], eyes: dict[str, Any]) -> np.ndarray:
    return np.asarray([pipeline.combine(r.yawn, _eyes_closed(r, eyes)) for r in rows])


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error and the reliability curve (mean predicted vs observed)."""
    edges = np.linspace(0, 1, bins + 1)
    curve = []
    ece = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & ((p < high) | (high == 1.0))
        if not inside.any():
            continue
        predicted, observed = float(p[inside].mean()), float(y[inside].mean())
        ece += inside.mean() * abs(predicted - observed)
        curve.append(
            {
                "bin": [round(float(low), 1), round(float(high), 1)],
                "n": int(inside.sum()),
                "predicted": round(predicted, 3),
                "observed": round(observed, 3),
            }
        )
    return {"ece": round(float(ece), 4), "curve": curve}


def figures(rows: Sequence[FaceRow], p: np.ndarray) -> dict[str, Any]:
    """ROC-AUC, balanced accuracy and rates at 0.5, per variant, and calibration."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    y = np.asarray([r.label for r in rows])
    flagged = p >= 0.5
    per_variant = {}
    for variant in (*AWAKE_VARIANTS, *CLOSED_VARIANTS, *SHUT_VARIANTS):
        idx = np.asarray([r.variant == variant for r in rows])
        if idx.any():
            per_variant[variant] = {
                "n": int(idx.sum()),
                "at_or_above_0_5": round(float(flagged[idx].mean()), 4),
            }
    photos = np.asarray([r.variant == "photo" for r in rows])
    return {
        "n": len(rows),
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(y, flagged)), 4),
        "false_alarms_open_eyed_photos": round(float(flagged[photos].mean()), 4),
        "false_alarms_all_awake": round(float(flagged[y == 0].mean()), 4),
        "closed_detected": round(float(flagged[y == 1].mean()), 4),
        "per_variant": per_variant,
        "calibration": reliability(y, p),
    }


def cross_validated(
    rows: Sequence[FaceRow], *, seed: int = 7, names: Sequence[str] = FEATURES
) -> dict[str, Any]:
    """Out-of-fold P(fatigued) over grouped folds: the new eye part against the old one."""
    from sklearn.model_selection import GroupKFold

    groups = np.asarray([r.group for r in rows])
    y = np.asarray([r.label for r in rows])
    out_of_fold = np.zeros(len(rows))
    n_folds = min(FOLDS, len(set(groups.tolist())))
    if n_folds < 2:
        raise DatasetError("Out-of-fold figures need faces of at least two groups.")
    folds = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(rows)), y, groups):
        eyes = fit_eyes([rows[i] for i in train], names)
        out_of_fold[test] = _fatigued([rows[i] for i in test], eyes)
    return {
        "method": f"{FOLDS} folds grouped by near-duplicate chain",
        **figures(rows, out_of_fold),
    }
