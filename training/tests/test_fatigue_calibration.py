"""Whole-face calibration of the fatigue model's eye part (training.fatigue_calibration)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from inference import face
from inference import fatigue as pipeline
from training import fatigue_calibration as calibration

from .synthetic import PORTRAIT, write_image_folders

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "models" / "fatigue" / "fatigue-starter-2026.12.2.onnx"


def _rows(n: int = 40, seed: int = 0) -> list[calibration.FaceRow]:
    """Awake faces with low eye scores and wide eyes, closed ones the other way, noisy."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 2
        eye = float(np.clip(rng.normal(0.8 if label else 0.2, 0.15), 0.01, 0.99))
        ear = float(rng.normal(0.2 if label else 0.32, 0.03))
        lids = float(rng.normal(0.12 if label else 0.34, 0.04))
        variant = "closed" if label else calibration.AWAKE_VARIANTS[i % 5]
        rows.append(
            calibration.FaceRow(
                label=label,
                variant=variant,
                group=f"g{i // 4}",
                eye_scores=(eye, eye),
                ear_mean=ear,
                lid_ear_mean=lids,
                yawn=0.01,
            )
        )
    return rows


def test_the_eye_part_reads_the_features_it_names():
    old = {"eyes": {"coef": [1.0], "intercept": 0.0}}
    new = {"eyes": {"features": ["logit_eyes", "ear_mean"], "coef": [1.0, -10.0], "intercept": 3}}
    assert pipeline.eyes_closed_probability(old, eye_scores=[0.5, 0.5]) == pytest.approx(0.5)
    # logit(0.5) = 0; 3 - 10 x 0.3 = 0 -> 0.5; narrower eyes -> more likely closed
    assert pipeline.eyes_closed_probability(
        new, eye_scores=[0.5, 0.5], ear_mean=0.3
    ) == pytest.approx(0.5)
    assert pipeline.eyes_closed_probability(new, eye_scores=[0.5, 0.5], ear_mean=0.1) > 0.8
    with pytest.raises(ValueError, match="ear_mean"):
        pipeline.eyes_closed_probability(new, eye_scores=[0.5, 0.5])


def test_a_fitted_eye_part_separates_and_is_scored_out_of_fold():
    rows = _rows()
    eyes = calibration.fit_eyes(rows)
    assert eyes["features"] == ["logit_eyes", "ear_mean", "lid_ear_mean"]
    # higher CNN score, narrower eyes, closer lids: more likely closed
    assert eyes["coef"][0] > 0 and eyes["coef"][1] < 0 and eyes["coef"][2] < 0
    result = calibration.cross_validated(rows)
    assert result["roc_auc"] > 0.95 and result["balanced_accuracy"] > 0.9
    assert set(result["per_variant"]) >= {"photo", "closed"}
    assert 0 <= result["calibration"]["ece"] < 0.2


def test_reliability_of_a_calibrated_and_of_an_overconfident_score():
    y = np.array([0] * 50 + [1] * 50)
    calibrated = np.array([0.25] * 40 + [0.75] * 10 + [0.25] * 10 + [0.75] * 40)
    overconfident = np.where(y == 1, 0.99, 0.9)  # every awake face at 0.9
    assert calibration.reliability(y, calibrated)["ece"] == pytest.approx(0.05, abs=1e-6)
    assert calibration.reliability(y, overconfident)["ece"] > 0.4


def test_built_faces_change_only_the_eyes_and_still_pass_the_gate(tmp_path):
    photo = Image.open(PORTRAIT).convert("RGB")
    analysis = face.analyse_face(photo)
    crop = tmp_path / "closed.jpg"
    Image.new("RGB", (64, 64), (190, 140, 120)).save(crop)
    shut = calibration._closed_eyes(photo, analysis, [crop], random.Random(0))
    glasses = calibration._with_glasses(photo, analysis)
    squeezed = calibration._squinted(photo, analysis, factor=calibration.SHUT_FACTOR)
    for built in (shut, glasses, squeezed):
        assert built.size == photo.size
        face.analyse_face(built)  # the gate still sees one usable face
        changed = np.any(np.asarray(built) != np.asarray(photo), axis=2)
        rows, _ = np.nonzero(changed)
        eyes = analysis.landmarks[[33, 133, 362, 263], :2]
        span = float(np.linalg.norm(eyes[1] - eyes[0]))
        # Nothing changed below the nose or far from the eyes.
        assert rows.max() < eyes[:, 1].max() + 2 * span
        assert rows.min() > eyes[:, 1].min() - 2 * span


def test_the_shipped_model_uses_the_whole_face_eye_part():
    sidecar = json.loads(STARTER.with_suffix(".json").read_text())
    eyes = sidecar["combiner"]["eyes"]
    assert eyes["features"] == ["logit_eyes", "ear_mean", "lid_ear_mean"]
    assert sidecar["combiner"]["eye_crops"]["features"] == ["logit_eyes"]
    figures = sidecar["calibration"]
    before, after = figures["before"], figures["after_out_of_fold"]
    assert after["false_alarms_open_eyed_photos"] < before["false_alarms_open_eyed_photos"]
    assert after["calibration"]["ece"] < before["calibration"]["ece"]
    # Real closed-eyed whole faces (hand-labelled): the lids lift what the previous part missed.
    real = figures["real_whole_faces"]
    assert real["after"]["closed"]["n"] >= 40
    assert (
        real["after"]["closed"]["eye_part_at_or_above_0_5"]
        > real["current"]["closed"]["eye_part_at_or_above_0_5"]
    )


def test_the_hand_labels_name_faces_once_and_the_closed_ones_leave_the_awake(tmp_path):
    labels = json.loads(calibration.EYE_STATE_LABELS.read_text())
    closed, open_hard = set(labels["closed"]), set(labels["open_hard"])
    assert len(closed) == len(labels["closed"]) and not closed & open_hard
    assert all(p.split("/")[0] in ("yawn", "no_yawn") for p in closed | open_hard)
    (tmp_path / "no_yawn").mkdir()
    present = sorted(p for p in closed if p.startswith("no_yawn/"))[:2]
    for name in present:
        Image.new("RGB", (8, 8)).save(tmp_path / name)
    found = calibration.labelled_eye_states([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found["closed"]] == present
    assert calibration.labelled_eye_states([tmp_path / "elsewhere"]) == {
        "closed": [],
        "open_hard": [],
    }


def calibrate(tmp_path: Path, *options: str) -> str:
    """Run ``calibrate_fatigue`` on small synthetic folders with the shipped model."""
    folders = write_image_folders(tmp_path / "data", per_class=10)
    out = io.StringIO()
    call_command(
        "calibrate_fatigue",
        "--data-dir",
        str(folders["yawn"]),
        "--data-dir",
        str(folders["eyes"]),
        "--model",
        str(STARTER),
        *options,
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_reports_and_writes_a_new_version(tmp_path):
    text = calibrate(
        tmp_path, "--model-version", "calibrated-test", "--out-dir", str(tmp_path / "out")
    )
    assert "current combiner: ROC-AUC" in text and "whole-face calibration: ROC-AUC" in text
    sidecar = json.loads((tmp_path / "out" / "fatigue-calibrated-test.json").read_text())
    assert "shut" not in json.dumps(sidecar["calibration"]["data"]["closed_variants"])
    assert sidecar["version"] == "calibrated-test"
    assert sidecar["combiner"]["eyes"]["features"] == ["logit_eyes", "ear_mean", "lid_ear_mean"]
    assert set(sidecar["calibration"]["eye_closeups"]["after"]) == {
        "mesh_ear_held_at",
        "closed",
        "open",
    }
    card = (tmp_path / "out" / "fatigue-calibrated-test.md").read_text()
    assert "## Whole-face calibration" in card and "Reproduce:" in card


@pytest.mark.django_db
def test_squeezed_shut_faces_are_built_as_closed_when_asked(tmp_path):
    text = calibrate(tmp_path, "--model-version", "check", "--squeezed-shut", "--dry-run")
    report = json.loads(text[text.index("{") :])
    variants = report["after_out_of_fold"]["per_variant"]
    assert variants["shut"]["n"] > 0 and "shut_dim" in variants
    # The shipped model is already calibrated: its own part is reported beside the refit.
    assert set(report["yawning_faces"]) == {"before", "current", "after"}
    assert "shut" in report["current_in_sample"]["per_variant"]
