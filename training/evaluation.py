"""Held-out metrics for classifiers and the burnout regressor (pure functions of arrays)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn import metrics as skm


def classification_metrics(
    y_true: npt.ArrayLike, probabilities: npt.ArrayLike, labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, balanced accuracy, macro F1, ROC-AUC and the confusion matrix.

    ``probabilities`` has one column per label; ROC-AUC is binary (last label positive) for two
    classes and one-vs-rest macro for more. Rows are true labels, columns predictions.
    """
    y = np.asarray(y_true, dtype=int)
    probs = np.asarray(probabilities, dtype=float)
    y_pred = probs.argmax(axis=1)
    result: dict[str, Any] = {
        "n": len(y),
        "accuracy": float(skm.accuracy_score(y, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y, y_pred)),
        "f1_macro": float(skm.f1_score(y, y_pred, average="macro", zero_division=0)),
        "confusion_matrix": {
            "labels": list(labels),
            "matrix": skm.confusion_matrix(y, y_pred, labels=list(range(len(labels)))).tolist(),
        },
    }
    present = np.unique(y)
    if len(labels) == 2:
        result["f1"] = float(skm.f1_score(y, y_pred, pos_label=1, zero_division=0))
        if len(present) == 2:
            result["roc_auc"] = float(skm.roc_auc_score(y, probs[:, 1]))
    elif len(present) == len(labels):
        result["roc_auc"] = float(skm.roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    if "roc_auc" not in result:
        result["roc_auc"] = None
    return result


def regression_metrics(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> dict[str, Any]:
    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(y_pred, dtype=float)
    return {
        "n": len(truth),
        "r2": float(skm.r2_score(truth, predicted)),
        "rmse": float(np.sqrt(skm.mean_squared_error(truth, predicted))),
        "mae": float(skm.mean_absolute_error(truth, predicted)),
    }


def softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
