"""Voice stress training: the feature model (default) or Wav2Vec2 (``--architecture wav2vec2``).

The feature model (``inference.voice``) is chosen and measured by nested leave-actors-out
cross-validation (``training.voice_stress``); the figures in its card are those of actors the
model never heard, with their spread over folds and fold assignments.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inference import vad, voice, voice_features
from inference.errors import InvalidMedia
from inference.preprocessing import DEFAULT_AUDIO_PREPROCESSING, decode_audio
from training import artifacts, cards, voice_corpora, voice_stress, voice_wav2vec2
from training.artifacts import OnnxSession
from training.config import TrainOptions, TrainResult
from training.datasets import STRESS_MAP, SpeechSample
from training.shipped import ShippedModel, model_stem
from training.voice_data import data_files, labelled_samples

__all__ = ["data_files", "train"]

CV_SEEDS = 3  # fold assignments per candidate: seed, seed + 1, seed + 2
SYNTHETIC_CALM_DIR = Path(__file__).resolve().parent.parent / "inference/tests/fixtures/speech"


def train(options: TrainOptions) -> TrainResult:
    if options.architecture == "wav2vec2":
        return voice_wav2vec2.train(options)
    if options.architecture != "features":
        raise ValueError(f"Unknown voice architecture {options.architecture!r}.")
    if options.scheme != "binary":
        raise ValueError("The voice feature model predicts binary stress; use --scheme binary.")
    return train_features(options)


def _junk_clips() -> dict[str, np.ndarray]:
    """Clips without speech that the gate must refuse: what people (or scripts) send."""
    rate = voice_features.SAMPLE_RATE
    t = np.arange(5 * rate) / rate
    rng = np.random.default_rng(0)
    white = rng.standard_normal(t.size)
    pink = np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.arange(1, t.size // 2 + 2)), n=t.size)
    return {
        "silence": np.zeros(t.size),
        "440 Hz tone": 0.3 * np.sin(2 * np.pi * 440 * t),
        "50 Hz hum": 0.3 * np.sin(2 * np.pi * 50 * t),
        "white noise": 0.1 * white,
        "pink noise": 0.3 * pink / np.abs(pink).max(),
        "chord (music-like)": 0.1 * sum(np.sin(2 * np.pi * f * t) for f in (262, 330, 392)),
    }


def robustness(head: voice_stress.Head, prep: dict[str, Any]) -> dict[str, Any]:
    """Junk refused by the speech gate; calm synthetic speech scored."""
    junk = {}
    for name, clip in _junk_clips().items():
        try:
            analysis = voice.analyse_speech(clip.astype(np.float32), **prep)
            junk[name] = (
                f"scored {float(head.probabilities(analysis.features(head.features))[0]):.2f}"
            )
        except InvalidMedia:
            junk[name] = "refused"
    calm = {}
    for path in sorted(SYNTHETIC_CALM_DIR.glob("*.wav")):
        analysis = voice.analyse_speech(decode_audio(path), **prep)
        calm[path.stem] = round(float(head.probabilities(analysis.features(head.features))[0]), 3)
    return {"junk (5 s clips)": junk, "calm synthetic speech (espeak-ng), P(stressed)": calm}


def _summaries(runs: list[voice_stress.CrossValidation]) -> dict[str, Any]:
    """Mean and spread of each metric over every outer fold of every fold assignment."""
    folds = [fold for run in runs for fold in run.folds]
    return {"fold_assignments": len(runs), **voice_stress.summarise_folds(folds)}


LANGUAGES = {"ravdess": "English (RAVDESS, acted)", "ased": "Amharic (ASED, acted)"}


def _limits(table: voice_stress.FeatureTable, corpora: Sequence[str]) -> list[str]:
    total = len(table.samples) + len(table.rejected)
    limits = [
        "Acted emotion only: "
        + ", ".join(LANGUAGES.get(c, c) for c in corpora)
        + ". Real workplace speech is subtler; expect lower figures on it, and treat the "
        "score as a rough signal that is most useful against the person's own baseline.",
        "The voice embedding was trained to tell speakers apart: it carries who is speaking "
        "as well as how. The head sees no identity label, and the speakers it is tested on "
        "were never in its training folds.",
        f"{len(table.rejected)} of {total} clips had less than a second of detected speech "
        "and were left out, as the scorer would refuse them.",
    ]
    if len(corpora) > 1:
        limits.append(
            "Fitted on one corpus, it transfers poorly to the other (leave-one-corpus-out "
            "figures in `cross_corpus`): a corpus or language it was not trained on should be "
            "expected to score near chance until measured. `manage.py evaluate_voice_corpora` "
            "and `manage.py evaluate_model voice --data-dir DIR --part all` measure it."
        )
    else:
        limits.append(
            "Only one corpus was available to train and test on; the cross-corpus figure is "
            "not measured here. `manage.py evaluate_model voice --data-dir DIR --part all` "
            "measures it on any folder of labelled clips."
        )
    return limits


def train_features(options: TrainOptions) -> TrainResult:
    started = time.monotonic()
    prep = dict(DEFAULT_AUDIO_PREPROCESSING)
    work = options.out_dir
    work.mkdir(parents=True, exist_ok=True)
    wanted = {s.path for s in labelled_samples(options)}
    # One cached table per corpus folder, so adding a corpus does not recompute the others.
    table = voice_corpora.restricted(
        voice_corpora.labelled_table(options.data_dirs, cache_dir=work), wanted
    )
    y, speakers = table.labels, table.speakers

    seeds = [options.seed + i for i in range(CV_SEEDS)]
    runs = {
        name: [voice_stress.cross_validate(table, name, seed=seed) for seed in seeds]
        for name in voice_stress.CANDIDATES
    }
    comparison = {name: _summaries(result) for name, result in runs.items()}
    chosen = max(
        runs,
        key=lambda name: (
            comparison[name]["balanced_accuracy"]["mean"],
            -len(voice_stress.CANDIDATES[name]),
        ),
    )
    names = voice_stress.CANDIDATES[chosen]
    x = table.columns(names)

    # Calibration from scores of actors each fold model never heard (first fold assignment).
    out_of_fold = runs[chosen][0].out_of_fold_logits
    slope, offset = voice_stress.platt(out_of_fold, y)
    calibrated_oof = 1.0 / (1.0 + np.exp(-(slope * out_of_fold + offset)))
    emotions = np.array([s.emotion for s in table.samples])
    calibrated = voice_stress.fold_metrics(y, calibrated_oof, emotions)
    calm = np.isin(emotions, voice_stress.CALM_EMOTIONS)

    c = voice_stress.choose_c(x, y, speakers, features=names, seed=options.seed)
    head = voice_stress.fit_head(x, y, features=names, c=c).calibrated(slope, offset)

    final = work / f"{model_stem('voice', options.version)}.onnx"
    voice_stress.export_head(head, final)
    session = artifacts.ort_session(final, threads=1)
    onnx_p = session.run(None, {"features": x.astype(np.float32)})[0][:, 1]
    parity = float(np.max(np.abs(onnx_p - head.probabilities(x))))
    clip_ms = _time_clips(table.samples[:20], prep, names, session)
    robust = robustness(head, prep)
    shipped = ShippedModel.of(final, kind="voice", version=options.version)
    encoder = voice_features.status()

    corpora = sorted({voice_corpora.corpus_of(sample) for sample in table.samples})
    # How the chosen features travel: leave-one-corpus-out and pooled speaker folds.
    transfer = (
        voice_corpora.report(table, candidates=[chosen], seed=options.seed)[chosen]
        if len(corpora) > 1
        else {}
    )
    chosen_summary = comparison[chosen]
    metrics = {
        "stress (out-of-fold, calibrated)": {
            **{k: v for k, v in calibrated.items()},
            "calm_median_score": round(float(np.median(calibrated_oof[calm])), 4),
        }
    }
    training_info = {
        "architecture": "features",
        "candidates": {name: len(feats) for name, feats in voice_stress.CANDIDATES.items()},
        "chosen": chosen,
        "c": c,
        "c_grid": list(voice_stress.C_GRID),
        "calibration": {"slope": round(slope, 4), "offset": round(offset, 4)},
        "seed": options.seed,
        "cv_seeds": seeds,
        "max_samples": options.max_samples,
        "duration_s": round(time.monotonic() - started, 1),
        "parity_max_abs_diff": parity,
        "rejected_clips": len(table.rejected),
        "ms_per_clip_features_and_head": clip_ms,
    }
    sidecar = shipped.sidecar(
        {
            "pipeline": voice.PIPELINE,
            "input_name": "features",
            "output_name": "probabilities",
            "output": "probabilities",
            "output_is_probability": True,
            "features": list(names),
            "labels": list(voice_stress.LABELS),
            "score_weights": {"not_stressed": 0.0, "stressed": 1.0},
            "emotion_mapping": dict(STRESS_MAP),
            "preprocessing": prep,
            "requires": {"voice_encoder": encoder.get("version"), "vad": vad.SOURCE},
        },
        metrics={
            "stress_balanced_accuracy_cv_mean": chosen_summary["balanced_accuracy"]["mean"],
            "stress_balanced_accuracy_cv_std": chosen_summary["balanced_accuracy"]["std"],
            "stress_roc_auc_cv_mean": chosen_summary["roc_auc"]["mean"],
        },
        training=training_info,
    )
    calm_median = metrics["stress (out-of-fold, calibrated)"]["calm_median_score"]
    card = shipped.card(
        summary="Scores vocal stress from the speech in a short clip. A pretrained voice "
        "encoder and prosody measures describe the speech; a calibrated logistic regression "
        "turns them into P(stressed). Acted emotions are mapped to stress: angry, fearful, "
        "sad, disgust -> stressed; neutral, calm, happy -> not stressed; surprised is "
        "ambiguous and left out. Clips with less than a second of detected speech are "
        "refused, never scored.",
        output_description="[P(not stressed), P(stressed)]; score = P(stressed)",
        details={
            "model": {
                "architecture": f"silero VAD gate -> {chosen} ({len(names)} features: "
                "resemblyzer GE2E voice embedding, ONNX; prosody in numpy) -> standardise -> "
                "logistic regression -> Platt calibration",
                "parameters": len(names) + 1,
                "initialisation": f"voice encoder pretrained ({encoder.get('version')}); head "
                "fitted here",
                "preprocessing": prep,
            },
            "data": {
                **cards.voice_data_source(corpora),
                "n_samples": len(table.samples),
                "label_mapping": dict(STRESS_MAP),
            },
            "split": {
                "method": "nested leave-speakers-out cross-validation: "
                f"{voice_stress.OUTER_FOLDS} outer folds of whole actors (men and women in "
                f"each), {CV_SEEDS} fold assignments; C chosen by {voice_stress.INNER_FOLDS} "
                "inner leave-actors-out folds of the training actors only. The shipped head "
                "is refitted on every actor.",
                "seed": options.seed,
                "train": len(table.samples),
                "val": "inner folds",
                "test": "every actor once per fold assignment",
            },
            "cross_validation": comparison,
            "cross_validation_note": "Mean ± standard deviation over outer folds (4 held-out "
            "actors each). calm_below_half: share of neutral and calm clips scored below 0.5; "
            "stressed_above_half: share of stressed clips at or above it. Figures before "
            "calibration, at 0.5.",
            "metrics": metrics,
            "targets": [
                {
                    "name": "stress balanced accuracy on held-out actors (CV mean)",
                    "required": 0.7,
                    "measured": chosen_summary["balanced_accuracy"]["mean"],
                    "met": chosen_summary["balanced_accuracy"]["mean"] >= 0.7,
                },
                {
                    "name": "median score of calm and neutral speech (out-of-fold) below 0.5",
                    "required": 0.5,
                    "measured": calm_median,
                    "met": calm_median < 0.5,
                },
            ],
            "robustness": robust,
            "training": training_info,
            "limits": _limits(table, corpora),
            "cross_corpus": transfer,
            "validated_languages": [LANGUAGES.get(c, c) for c in corpora],
            "not_for": [
                "diagnosing anything, or judging, ranking or comparing people",
                "any decision about one person: the score is a rough signal, most useful "
                "against the person's own usual (My trends), and never alerts by itself",
                "deployments under the EU AI Act's ban on inferring emotions at work "
                "(SIGNAL_PROFILE=eu turns it off)",
                "languages it was not validated on, without measuring it there first",
            ],
        },
    )
    return shipped.result(sidecar=sidecar, card=card)


def _time_clips(
    samples: list[SpeechSample],
    prep: dict[str, Any],
    names: Sequence[str],
    session: OnnxSession,
) -> float:
    started = time.monotonic()
    for sample in samples:
        features = voice.analyse_speech(decode_audio(sample.path), **prep).features(names)
        session.run(None, {"features": features})
    return round(1000 * (time.monotonic() - started) / max(1, len(samples)), 1)


def evaluate_features(
    session: OnnxSession, meta: dict[str, Any], samples: list[SpeechSample]
) -> dict[str, Any]:
    """Metrics of a feature model on labelled clips, refused clips counted, not scored."""
    prep = meta.get("preprocessing", {})
    ys, ps, emotions, rejected = [], [], [], 0
    for sample in samples:
        label = STRESS_MAP.get(sample.emotion)
        if label is None:
            continue
        try:
            analysis = voice.analyse_speech(decode_audio(sample.path), **prep)
        except InvalidMedia:
            rejected += 1
            continue
        out = session.run(None, {meta["input_name"]: analysis.features(meta["features"])})[0]
        ys.append(voice_stress.LABELS.index(label))
        ps.append(float(out[0, 1]))
        emotions.append(sample.emotion)
    if not ys:
        raise ValueError("None of the clips held a second of speech with a stress label.")
    result = voice_stress.fold_metrics(np.array(ys), np.array(ps), np.array(emotions))
    return {"stress": result, "rejected_clips": rejected}
