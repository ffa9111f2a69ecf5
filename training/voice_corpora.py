"""How far the voice stress model travels: across speakers, corpora and languages.

A model fitted on one corpus and judged on the same corpus's held-out speakers learns that
corpus: its recording room, its actors' style, its words. This module measures the two tests
that matter for a product that meets strangers:

* **leave-one-corpus-out**: fit on one corpus (the regularisation chosen by leave-speakers-out
  folds inside it, calibrated on its own out-of-fold scores) and score every clip of the other;
* **pooled leave-speakers-out**: both corpora together, folds of whole speakers, figures per
  corpus in every fold.

On ASED (Amharic) only sentences 01 and 02 were spoken by every speaker in every emotion; the
other sentences were written for one emotion, so a model may learn the words. ASED is therefore
judged on "angry and fearful against neutral, sentences 01-02" (``ased_core``), besides all its
clips. Spreads are over folds, or, for a single transfer, a bootstrap over the test speakers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.datasets import STRESS_MAP, SpeechSample, speech_samples
from training.voice_stress import (
    CALM_EMOTIONS,
    CANDIDATES,
    FeatureTable,
    Head,
    actor_folds,
    choose_c,
    feature_table,
    fit_head,
    platt,
)

ASED_CORE_SENTENCES = ("01", "02")
ASED_CORE_EMOTIONS = ("angry", "fearful", "neutral")
_ASED_NAME = re.compile(r"^[a-z]\d+-(\d\d)-(\d\d)-(\d\d)-(\d\d)$", re.IGNORECASE)
BOOTSTRAP_ROUNDS = 400


def labelled_table(roots: Iterable[Path], *, cache_dir: Path | None = None) -> FeatureTable:
    """Every clip with a stress label from each corpus folder, through the scorer's path (one
    cached table per folder, so adding a corpus does not recompute the others)."""
    values, samples, rejected = [], [], []
    for root in roots:
        table = feature_table(speech_samples([root]), cache_dir=cache_dir)
        keep = np.array([STRESS_MAP.get(s.emotion) is not None for s in table.samples], bool)
        values.append(table.values[keep] if len(table.samples) else table.values)
        samples += [s for s, k in zip(table.samples, keep, strict=True) if k]
        rejected += table.rejected
    return FeatureTable(values=np.vstack(values), samples=samples, rejected=rejected)


def restricted(table: FeatureTable, paths: set[Path]) -> FeatureTable:
    """The rows of ``table`` whose clip is one of ``paths``."""
    keep = np.array([s.path in paths for s in table.samples], dtype=bool)
    return FeatureTable(
        values=table.values[keep],
        samples=[s for s, k in zip(table.samples, keep, strict=True) if k],
        rejected=table.rejected,
    )


def per_speaker_standardised(table: FeatureTable) -> FeatureTable:
    """Each speaker's features centred and scaled by that speaker's own mean and spread: what
    a person's usual would allow once they have enough check-ins (transductive here: it uses
    every clip of the speaker, the held-out ones included)."""
    values = table.values.copy()
    speakers = table.speakers
    for speaker in set(speakers.tolist()):
        rows = speakers == speaker
        spread = values[rows].std(axis=0)
        spread[spread < 1e-8] = 1.0
        values[rows] = (values[rows] - values[rows].mean(axis=0)) / spread
    return FeatureTable(values=values, samples=table.samples, rejected=table.rejected)


def corpus_of(sample: SpeechSample) -> str:
    """``ravdess``, ``ased``, or the corpus the loader named."""
    if sample.corpus.startswith("folder:"):
        return sample.corpus.removeprefix("folder:")
    return sample.corpus


def ased_sentence(sample: SpeechSample) -> str | None:
    """The sentence number of an ASED clip (``xN-SS-RR-G-PP``), else None."""
    match = _ASED_NAME.match(sample.path.stem)
    return match.group(1) if match else None


def is_ased_core(sample: SpeechSample) -> bool:
    """Angry, fearful or neutral on a sentence every speaker said in every emotion."""
    return (
        corpus_of(sample) == "ased"
        and sample.emotion in ASED_CORE_EMOTIONS
        and ased_sentence(sample) in ASED_CORE_SENTENCES
    )


@dataclass(frozen=True)
class Subset:
    name: str
    mask: np.ndarray


def subsets(table: FeatureTable) -> list[Subset]:
    """The groups figures are reported for."""
    corpora = np.array([corpus_of(s) for s in table.samples])
    core = np.array([is_ased_core(s) for s in table.samples])
    found = [Subset(name, corpora == name) for name in sorted(set(corpora.tolist()))]
    if core.any():
        found.append(Subset("ased_core", core))
    return found


def metrics(y: np.ndarray, p: np.ndarray, emotions: np.ndarray) -> dict[str, float]:
    """Balanced accuracy at 0.5, ROC-AUC, calm clips below 0.5, stressed clips at or above."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    out = {"n": float(len(y))}
    if len(set(y.tolist())) == 2:
        out["balanced_accuracy"] = float(balanced_accuracy_score(y, p >= 0.5))
        out["roc_auc"] = float(roc_auc_score(y, p))
    calm = np.isin(emotions, CALM_EMOTIONS)
    if calm.any():
        out["calm_below_half"] = float(np.mean(p[calm] < 0.5))
    if (y == 1).any():
        out["stressed_above_half"] = float(np.mean(p[y == 1] >= 0.5))
    return {k: round(v, 4) for k, v in out.items()}


def _fit_calibrated(
    x: np.ndarray, y: np.ndarray, speakers: np.ndarray, *, names: Sequence[str], seed: int
) -> tuple[Head, float]:
    """C by inner speaker folds, out-of-fold logits for Platt scaling, then the full fit."""
    c = choose_c(x, y, speakers, features=names, seed=seed)
    logits = np.full(len(y), np.nan)
    for held in actor_folds(speakers, folds=min(4, len(set(speakers.tolist()))), seed=seed):
        test = np.isin(speakers, held)
        logits[test] = fit_head(x[~test], y[~test], features=names, c=c).logits(x[test])
    slope, offset = platt(logits, y)
    return fit_head(x, y, features=names, c=c).calibrated(slope, offset), c


def _bootstrap(
    y: np.ndarray, p: np.ndarray, speakers: np.ndarray, emotions: np.ndarray, *, seed: int
) -> dict[str, list[float]]:
    """2.5th and 97.5th percentiles of each metric over resamples of whole test speakers."""
    rng = np.random.default_rng(seed)
    unique = np.array(sorted(set(speakers.tolist())))
    draws: dict[str, list[float]] = {}
    for _ in range(BOOTSTRAP_ROUNDS):
        chosen = rng.choice(unique, size=len(unique), replace=True)
        index = np.concatenate([np.flatnonzero(speakers == s) for s in chosen])
        for key, value in metrics(y[index], p[index], emotions[index]).items():
            if key != "n":
                draws.setdefault(key, []).append(value)
    return {
        key: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
        for key, v in draws.items()
    }


def leave_one_corpus_out(table: FeatureTable, candidate: str, *, seed: int = 7) -> dict:
    """For each corpus: fit on the others, score every clip of this one (and its core)."""
    names = CANDIDATES[candidate]
    x, y, speakers = table.columns(names), table.labels, table.speakers
    emotions = np.array([s.emotion for s in table.samples])
    groups = {s.name: s.mask for s in subsets(table)}
    corpora = np.array([corpus_of(s) for s in table.samples])
    result: dict = {}
    for held in sorted(set(corpora.tolist())):
        test = corpora == held
        if test.all() or not test.any():
            continue
        head, c = _fit_calibrated(x[~test], y[~test], speakers[~test], names=names, seed=seed)
        p = head.probabilities(x)
        for name, mask in groups.items():
            if not (mask & test).any() or (name != held and not name.startswith(held)):
                continue
            pick = mask & test
            result[f"{name} (fitted on the rest)"] = {
                "c": c,
                **metrics(y[pick], p[pick], emotions[pick]),
                "ci95": _bootstrap(y[pick], p[pick], speakers[pick], emotions[pick], seed=seed),
            }
    return result


def pooled_speaker_folds(
    table: FeatureTable, candidate: str, *, seed: int = 7, folds: int = 5
) -> dict:
    """Both corpora together, whole speakers held out; per subset: mean and spread over folds."""
    names = CANDIDATES[candidate]
    x, y, speakers = table.columns(names), table.labels, table.speakers
    emotions = np.array([s.emotion for s in table.samples])
    groups = subsets(table)
    per_fold: dict[str, list[dict]] = {g.name: [] for g in groups}
    for index, held in enumerate(actor_folds(speakers, folds=folds, seed=seed)):
        test = np.isin(speakers, held)
        head, _ = _fit_calibrated(
            x[~test], y[~test], speakers[~test], names=names, seed=seed + index
        )
        p = head.probabilities(x[test])
        for group in groups:
            pick = group.mask[test]
            if pick.any():
                per_fold[group.name].append(metrics(y[test][pick], p[pick], emotions[test][pick]))
    summary: dict = {}
    for name, rows in per_fold.items():
        keys = sorted({k for row in rows for k in row if k != "n"})
        summary[name] = {
            key: {
                "mean": round(float(np.mean([r[key] for r in rows if key in r])), 4),
                "std": round(float(np.std([r[key] for r in rows if key in r], ddof=1)), 4)
                if sum(key in r for r in rows) > 1
                else 0.0,
            }
            for key in keys
        }
    return summary


def report(table: FeatureTable, *, candidates: Sequence[str] | None = None, seed: int = 7) -> dict:
    """Both tests for each candidate feature set."""
    return {
        candidate: {
            "leave_one_corpus_out": leave_one_corpus_out(table, candidate, seed=seed),
            "pooled_speaker_folds": pooled_speaker_folds(table, candidate, seed=seed),
        }
        for candidate in (candidates or list(CANDIDATES))
    }
