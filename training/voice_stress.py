"""Voice stress from pretrained voice features and prosody, chosen by leave-actors-out CV.

Every clip goes through the scorer's own path (``inference.voice``: speech gate, embedding,
prosody). Candidate feature sets are compared by nested cross-validation in which whole actors
are held out: the outer folds give the figures, the inner folds (over the training actors only)
choose the regularisation. The winner is refitted on every actor, calibrated on its
out-of-fold scores, and exported as a small ONNX head (standardise, logistic regression,
sigmoid) that the worker runs after the features.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference import voice, voice_features
from inference.errors import InvalidMedia
from inference.preprocessing import DEFAULT_AUDIO_PREPROCESSING, decode_audio
from training.datasets import SpeechSample, stress_label
from training.evaluation import classification_metrics

LABELS = ["not_stressed", "stressed"]
CANDIDATES: dict[str, tuple[str, ...]] = {
    "prosody": voice_features.PROSODY_FEATURES,
    "embedding": voice_features.EMBEDDING_FEATURES,
    "embedding+prosody": voice_features.EMBEDDING_FEATURES + voice_features.PROSODY_FEATURES,
}
ALL_FEATURES = voice_features.EMBEDDING_FEATURES + voice_features.PROSODY_FEATURES
C_GRID = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
OUTER_FOLDS = 5
INNER_FOLDS = 4
CALM_EMOTIONS = ("neutral", "calm")


@dataclass(frozen=True)
class FeatureTable:
    """One row per clip that passed the speech gate, columns ``ALL_FEATURES``."""

    values: np.ndarray
    samples: list[SpeechSample]
    rejected: list[str]

    @property
    def labels(self) -> np.ndarray:
        return np.array([LABELS.index(stress_label(s.emotion)) for s in self.samples])

    @property
    def speakers(self) -> np.ndarray:
        return np.array([s.speaker for s in self.samples])

    def columns(self, names: Sequence[str]) -> np.ndarray:
        index = {name: i for i, name in enumerate(ALL_FEATURES)}
        return self.values[:, [index[name] for name in names]]


def clip_features(path: Path, prep: dict) -> np.ndarray:
    """``ALL_FEATURES`` of one file, exactly as the scorer computes them."""
    samples = decode_audio(path, sample_rate=int(prep["sample_rate"]))
    return voice.analyse_speech(samples, **prep).features(ALL_FEATURES)[0]


def _cache_key(samples: Sequence[SpeechSample], prep: dict) -> str:
    digest = hashlib.sha256(repr(sorted(prep.items())).encode())
    digest.update(Path(voice_features.__file__).read_bytes())
    for s in samples:
        stat = s.path.stat()
        digest.update(f"{s.path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def feature_table(
    samples: Sequence[SpeechSample], *, prep: dict | None = None, cache_dir: Path | None = None
) -> FeatureTable:
    """Features of every clip; clips the speech gate refuses are listed, not scored. Cached
    in ``cache_dir`` under a key of the files, the parameters and the feature code."""
    prep = dict(prep or DEFAULT_AUDIO_PREPROCESSING)
    cache = cache_dir / f"voice-features-{_cache_key(samples, prep)}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        stored = np.load(cache, allow_pickle=False)
        kept = set(stored["kept"].tolist())
        return FeatureTable(
            values=stored["values"],
            samples=[s for s in samples if str(s.path) in kept],
            rejected=stored["rejected"].tolist(),
        )
    rows, kept_samples, rejected = [], [], []
    for sample in samples:
        try:
            rows.append(clip_features(sample.path, prep))
            kept_samples.append(sample)
        except InvalidMedia as exc:
            rejected.append(f"{sample.path.name}: {exc.message}")
    values = np.array(rows, dtype=np.float64).reshape(-1, len(ALL_FEATURES))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            cache,
            values=values,
            kept=np.array([str(s.path) for s in kept_samples]),
            rejected=np.array(rejected, dtype=str),
        )
    return FeatureTable(values=values, samples=kept_samples, rejected=rejected)


def actor_folds(speakers: Iterable[str], *, folds: int, seed: int) -> list[list[str]]:
    """Speakers dealt into ``folds`` groups, shuffled by ``seed``. RAVDESS actors alternate
    male (odd) and female (even), so sorting before dealing keeps each fold mixed."""
    unique = sorted(set(speakers))
    if len(unique) < folds:
        raise ValueError(f"{folds} folds need at least {folds} speakers, found {len(unique)}.")
    rng = random.Random(seed)
    odd = [s for i, s in enumerate(unique) if i % 2 == 0]
    even = [s for i, s in enumerate(unique) if i % 2 == 1]
    rng.shuffle(odd)
    rng.shuffle(even)
    order = odd + even
    return [sorted(order[i::folds]) for i in range(folds)]


@dataclass(frozen=True)
class Head:
    """Standardise, then logistic regression: P(stressed) = sigmoid(w·(x-mean)/scale + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def calibrated(self, slope: float, offset: float) -> Head:
        return Head(
            self.features, self.mean, self.scale, self.weights * slope, self.bias * slope + offset
        )


def fit_head(x: np.ndarray, y: np.ndarray, *, features: Sequence[str], c: float) -> Head:
    """L2 logistic regression on standardised features, classes weighted equally."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-8] = 1.0
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit((x - mean) / scale, y)
    return Head(
        tuple(features), mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0])
    )


def choose_c(
    x: np.ndarray, y: np.ndarray, speakers: np.ndarray, *, features: Sequence[str], seed: int
) -> float:
    """The C with the best mean balanced accuracy over inner leave-actors-out folds."""
    from sklearn.metrics import balanced_accuracy_score

    folds = actor_folds(speakers, folds=min(INNER_FOLDS, len(set(speakers))), seed=seed)
    best_c, best_score = C_GRID[0], -1.0
    for c in C_GRID:
        scores = []
        for held in folds:
            test = np.isin(speakers, held)
            head = fit_head(x[~test], y[~test], features=features, c=c)
            scores.append(balanced_accuracy_score(y[test], head.probabilities(x[test]) >= 0.5))
        if np.mean(scores) > best_score:
            best_c, best_score = c, float(np.mean(scores))
    return best_c


@dataclass(frozen=True)
class CrossValidation:
    candidate: str
    seed: int
    folds: list[dict]  # per outer fold: held-out speakers, chosen C, metrics
    out_of_fold_logits: np.ndarray  # one per clip, from the fold that held its speaker out


METRIC_KEYS = ("balanced_accuracy", "roc_auc", "calm_below_half", "stressed_above_half")


def summarise_folds(folds: Sequence[dict], keys: Sequence[str] = METRIC_KEYS) -> dict:
    """Mean, standard deviation and range of each metric over folds (``fold["metrics"]``)."""
    out: dict = {"folds": len(folds)}
    for key in keys:
        values = np.array([fold["metrics"][key] for fold in folds], dtype=float)
        out[key] = {
            "mean": round(float(np.nanmean(values)), 4),
            "std": round(float(np.nanstd(values, ddof=1)), 4) if len(values) > 1 else 0.0,
            "min": round(float(np.nanmin(values)), 4),
            "max": round(float(np.nanmax(values)), 4),
        }
    return out


def fold_metrics(y: np.ndarray, p: np.ndarray, emotions: np.ndarray) -> dict:
    metrics = classification_metrics(y.tolist(), np.column_stack([1 - p, p]), LABELS)
    calm = np.isin(emotions, CALM_EMOTIONS)
    metrics["calm_below_half"] = float(np.mean(p[calm] < 0.5)) if calm.any() else float("nan")
    metrics["stressed_above_half"] = (
        float(np.mean(p[y == 1] >= 0.5)) if (y == 1).any() else float("nan")
    )
    return metrics


def cross_validate(
    table: FeatureTable, candidate: str, *, seed: int, folds: int = OUTER_FOLDS
) -> CrossValidation:
    """Nested leave-actors-out CV of one candidate feature set."""
    names = CANDIDATES[candidate]
    x, y, speakers = table.columns(names), table.labels, table.speakers
    emotions = np.array([s.emotion for s in table.samples])
    logits = np.full(len(y), np.nan)
    results = []
    for index, held in enumerate(actor_folds(speakers, folds=folds, seed=seed)):
        test = np.isin(speakers, held)
        c = choose_c(x[~test], y[~test], speakers[~test], features=names, seed=seed + index)
        head = fit_head(x[~test], y[~test], features=names, c=c)
        logits[test] = head.logits(x[test])
        p = 1.0 / (1.0 + np.exp(-logits[test]))
        results.append(
            {"held_out": held, "c": c, "metrics": fold_metrics(y[test], p, emotions[test])}
        )
    return CrossValidation(candidate, seed, results, logits)


def platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and offset that map out-of-fold logits to calibrated ones, classes weighted
    equally, so 0.5 stays the point where either answer is as likely without a prior."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, class_weight="balanced", max_iter=1000)
    model.fit(logits.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def export_head(head: Head, path: Path) -> None:
    """(batch, D) float32 ``features`` -> (batch, 2) ``probabilities`` [P(not), P(stressed)]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    d = len(head.features)
    initializers = [
        numpy_helper.from_array(head.mean.astype(np.float32).reshape(1, d), "mean"),
        numpy_helper.from_array(head.scale.astype(np.float32).reshape(1, d), "scale"),
        numpy_helper.from_array(head.weights.astype(np.float32).reshape(d, 1), "weights"),
        numpy_helper.from_array(np.array([head.bias], dtype=np.float32), "bias"),
        numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
    ]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["standardised"]),
        helper.make_node("MatMul", ["standardised", "weights"], ["dot"]),
        helper.make_node("Add", ["dot", "bias"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p_stressed"]),
        helper.make_node("Sub", ["one", "p_stressed"], ["p_calm"]),
        helper.make_node("Concat", ["p_calm", "p_stressed"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "voice_stress_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", d])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
