"""Held-out metrics of the Wav2Vec2 voice classifier: binary stress from the weighted score,
and per-emotion metrics under the eight-class scheme."""

from __future__ import annotations

from typing import Any

import numpy as np

from training import voice_stress
from training.datasets import STRESS_MAP, SpeechSample
from training.evaluation import classification_metrics
from training.voice_data import STRESS_LABELS


def stress_metrics(
    probs: np.ndarray, samples: list[SpeechSample], labels: list[str], weights: dict[str, float]
) -> dict[str, Any]:
    """Binary stress metrics from the weighted score (>= 0.5 is stressed), ambiguous excluded."""
    w = np.asarray([weights[label] for label in labels])
    score = probs @ w
    stress = [STRESS_MAP[s.emotion] for s in samples]
    keep = [i for i, label in enumerate(stress) if label is not None]
    y = np.asarray([STRESS_LABELS.index(label) for label in stress if label is not None])
    s = np.clip(score[keep], 0.0, 1.0)
    emotions = np.asarray([samples[i].emotion for i in keep])
    return voice_stress.fold_metrics(y, s, emotions)


def evaluate(
    probs: np.ndarray, samples: list[SpeechSample], labels: list[str], weights: dict[str, float]
) -> dict[str, Any]:
    result = {"stress": stress_metrics(probs, samples, labels, weights)}
    if labels != STRESS_LABELS:
        y = np.asarray([labels.index(s.emotion) for s in samples])
        result["emotion"] = classification_metrics(y, probs, labels)
    return result
