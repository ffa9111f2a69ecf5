"""Labelled images through the check-in pipeline (``inference.fatigue``): the face gate and
landmark crops the CNN learns from, the combiner fitted on its scores, and the metrics of
the whole pipeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from inference import face
from inference import fatigue as pipeline
from inference.preprocessing import decode_image, image_to_tensor
from training.artifacts import OnnxSession
from training.datasets import FATIGUE_LABELS, DatasetError, ImageSample
from training.evaluation import classification_metrics, softmax
from training.fatigue_model import BATCH, INPUT_NAME

# A batch of CNN inputs -> the CNN's P(fatigued) of each.
Predict = Callable[[np.ndarray], np.ndarray]

# Subsets of eye close-ups (crops already, no whole face: the gate would refuse them). Every
# other subset (yawn/, or an operator's faces/{closed,open}/) holds whole-face photos, which go
# through the check-in pipeline: the CNN learns from, and is evaluated on, their landmark crops.
EYE_SUBSETS = frozenset({"eyes"})

# What a subset's labels say, and so which of the pipeline's outputs it measures: the yawn
# photos are labelled for yawning only (a "no_yawn" driver may well have closed eyes), the eye
# images for eye state only; any other folder of labelled faces measures P(fatigued).
SIGNAL_BY_SUBSET = {"yawn": "yawn", "eyes": "eyes_closed"}


@dataclass
class Prepared:
    """What one sample gives the pipeline: the CNN's input image and, for a face photo, the
    whole photo and its landmark analysis."""

    sample: ImageSample
    image: Image.Image
    photo: Image.Image | None = None
    analysis: face.FaceAnalysis | None = None


def prepare(samples: list[ImageSample]) -> tuple[list[Prepared], list[ImageSample]]:
    """Each sample as the pipeline sees it; face photos the face gate refuses come back apart."""
    prepared, refused = [], []
    for sample in samples:
        image = decode_image(sample.path)
        if sample.subset in EYE_SUBSETS:
            prepared.append(Prepared(sample=sample, image=image))
            continue
        try:
            analysis = face.analyse_face(image)
        except face.PhotoRejected:
            refused.append(sample)
            continue
        prepared.append(
            Prepared(sample=sample, image=analysis.crop, photo=image, analysis=analysis)
        )
    return prepared, refused


def load_eval_arrays(prepared: list[Prepared], prep: dict[str, Any]) -> list[np.ndarray]:
    return [image_to_tensor(p.image, **prep) for p in prepared]


def evaluate_arrays(
    probs: np.ndarray, samples: list[ImageSample], labels: Sequence[str] = FATIGUE_LABELS
) -> dict[str, Any]:
    """Overall metrics plus one block per subset (yawn faces, eye crops evaluated apart)."""
    y = np.asarray([labels.index(s.label) for s in samples])
    result = {"all": classification_metrics(y, probs, labels)}
    for subset in sorted({s.subset for s in samples}):
        idx = [i for i, s in enumerate(samples) if s.subset == subset]
        result[subset] = classification_metrics(y[idx], probs[idx], labels)
    return result


def _fatigued(probs: np.ndarray) -> np.ndarray:
    return probs[:, FATIGUE_LABELS.index("fatigued")]


def onnx_predictor(session: OnnxSession) -> Predict:
    def predict(batch: np.ndarray) -> np.ndarray:
        return _fatigued(softmax(session.run(None, {INPUT_NAME: batch})[0]))

    return predict


def scores(predict: Predict, arrays: list[np.ndarray]) -> np.ndarray:
    """The CNN's P(fatigued) of each input, in batches."""
    return np.concatenate(
        [predict(np.concatenate(arrays[i : i + BATCH])) for i in range(0, len(arrays), BATCH)]
    )


def _logit(p: float) -> float:
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return float(np.log(clipped / (1 - clipped)))


def fit_combiner(prepared: list[Prepared], cnn_fatigued: np.ndarray) -> dict[str, Any]:
    """Logistic ``P(yawn)`` on [mouth aspect ratio, logit CNN(face)] from the face photos and
    ``P(eyes closed)`` on [logit CNN(eye)] from the eye images (validation split)."""
    from sklearn.linear_model import LogisticRegression

    faces: list[int] = []
    face_rows: list[list[float]] = []
    eyes: list[int] = []
    eye_rows: list[list[float]] = []
    for i, p in enumerate(prepared):
        if p.analysis is not None:
            faces.append(i)
            face_rows.append([p.analysis.mouth_aspect_ratio, _logit(cnn_fatigued[i])])
        else:
            eyes.append(i)
            eye_rows.append([_logit(cnn_fatigued[i])])
    combiner: dict[str, Any] = {}
    for name, idx, rows in (("yawn", faces, face_rows), ("eyes", eyes, eye_rows)):
        labels = np.asarray([prepared[i].sample.label == "fatigued" for i in idx])
        if len(set(labels)) < 2:
            raise DatasetError(f"The {name} combiner needs both classes in the validation split.")
        x = np.asarray(rows, dtype=np.float64)
        fitted = LogisticRegression(C=1.0).fit(x, labels)
        combiner[name] = {
            "features": ["mouth_aspect_ratio", "logit_face"] if name == "yawn" else ["logit_eyes"],
            "coef": [round(float(c), 6) for c in fitted.coef_[0]],
            "intercept": round(float(fitted.intercept_[0]), 6),
            "n": len(idx),
        }
    return combiner


def pipeline_probabilities(
    prepared: list[Prepared],
    *,
    metadata: dict[str, Any],
    predict: Predict,
    combined: bool = False,
) -> np.ndarray:
    """Each sample's probability through the check-in pipeline (gate, crops, CNN, combiner),
    the output its subset is labelled for (``SIGNAL_BY_SUBSET``; ``combined`` for
    P(fatigued) everywhere): the whole photo for a face, the eye-state part for an eye image."""
    prep = metadata["preprocessing"]
    out = []
    for p in prepared:
        if p.photo is not None:
            result = pipeline.estimate(p.photo, metadata=metadata, predict=predict)
            signal = "probability" if combined else SIGNAL_BY_SUBSET.get(p.sample.subset)
            out.append(getattr(result, signal or "probability"))
        else:
            eye = float(predict(image_to_tensor(p.image, **prep))[0])
            # An eye close-up has no mesh: the crop-level part, where the combiner keeps one.
            combiner = metadata["combiner"]
            crops = {"eyes": combiner.get("eye_crops", combiner["eyes"])}
            out.append(pipeline.eyes_closed_probability(crops, eye_scores=[eye]))
    p_fatigued = np.asarray(out)
    index = FATIGUE_LABELS.index("fatigued")
    return (
        np.stack([1 - p_fatigued, p_fatigued], axis=1)
        if index == 1
        else np.stack([p_fatigued, 1 - p_fatigued], axis=1)
    )


def evaluate_pipeline(
    samples: list[ImageSample], *, session: OnnxSession, metadata: dict[str, Any]
) -> dict[str, Any]:
    """Metrics of the whole check-in pipeline on ``samples`` (any labelled folders); face
    photos refused by the gate are counted apart, never scored."""
    prepared, refused = prepare(samples)
    predict = onnx_predictor(session)
    if metadata.get("pipeline") != pipeline.PIPELINE:
        # A model from before the face pipeline: its CNN on the crops, nothing more.
        probs = softmax(
            np.concatenate(
                [
                    session.run(None, {INPUT_NAME: a})[0]
                    for a in load_eval_arrays(prepared, metadata["preprocessing"])
                ]
            )
        )
    else:
        probs = pipeline_probabilities(prepared, metadata=metadata, predict=predict)
    result = evaluate_arrays(probs, [p.sample for p in prepared], metadata["labels"])
    result["refused_face_photos"] = len(refused)
    return result
