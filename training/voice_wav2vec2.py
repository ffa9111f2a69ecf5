"""Voice stress: a Wav2Vec2 sequence classifier on the gated speech, split by speaker.

The alternative to the feature model of ``training.voice`` (``--architecture wav2vec2``): from
scratch on the starter data, or fine-tuned from a local pretrained checkpoint.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from inference.errors import InvalidMedia
from inference.preprocessing import (
    DEFAULT_AUDIO_PREPROCESSING,
    decode_audio,
    prepare_waveform,
    waveform_options,
)
from training import artifacts, cards, voice_stress
from training.config import TrainOptions, TrainResult
from training.datasets import (
    EMOTION_STRESS_WEIGHTS,
    EMOTIONS,
    STRESS_MAP,
    GroupSplit,
    SpeechSample,
    speech_samples,
    split_groups,
)
from training.evaluation import classification_metrics, softmax

INPUT_NAME = "input_values"
TARGET_BALANCED_ACCURACY = 0.75
QUANT_TOLERANCE = 0.01
STRESS_LABELS = ["not_stressed", "stressed"]

CONFIGS = {
    "tiny": {
        "hidden_size": 16,
        "layers": 1,
        "heads": 2,
        "intermediate": 32,
        "conv_dim": (8, 8, 8, 8, 8, 8, 8),
        "pos_kernel": 8,
        "pos_groups": 2,
        "proj": 8,
        "epochs": 2,
        "batch_size": 4,
        "lr": 1e-3,
        "train_seconds": 1.0,
    },
    "small": {
        "hidden_size": 128,
        "layers": 2,
        "heads": 4,
        "intermediate": 256,
        "conv_dim": (32, 32, 32, 32, 32, 32, 32),
        "pos_kernel": 32,
        "pos_groups": 4,
        "proj": 64,
        "epochs": 40,
        "batch_size": 16,
        "lr": 2e-3,
        "train_seconds": 2.5,
        # From scratch on ~1k clips the transformer alone barely moves off the class prior;
        # per-channel (group) norm on the first conv, a weighted sum over all layers (so the
        # head also sees the convolutional features) and no dropout let it learn in minutes.
        "norm": "group",
        "weighted_layer_sum": True,
        "dropout": 0.0,
        "mask_time_prob": 0.0,
    },
    "base": {
        "hidden_size": 768,
        "layers": 12,
        "heads": 12,
        "intermediate": 3072,
        "conv_dim": (512,) * 7,
        "pos_kernel": 128,
        "pos_groups": 16,
        "proj": 256,
        "epochs": 30,
        "batch_size": 8,
        "lr": 1e-4,
        "train_seconds": 6.0,
    },
}


def labels_for(scheme: str) -> tuple[list[str], dict[str, float]]:
    if scheme == "binary":
        return list(STRESS_LABELS), {"not_stressed": 0.0, "stressed": 1.0}
    if scheme == "emotion8":
        return list(EMOTIONS), dict(EMOTION_STRESS_WEIGHTS)
    raise ValueError(f"Unknown voice label scheme {scheme!r}; use 'binary' or 'emotion8'.")


def sample_label(sample: SpeechSample, scheme: str) -> str | None:
    if scheme == "binary":
        return STRESS_MAP[sample.emotion]
    return sample.emotion if sample.emotion in EMOTIONS else None


def labelled_samples(options: TrainOptions) -> list[SpeechSample]:
    samples = [s for s in speech_samples(options.data_dirs) if sample_label(s, options.scheme)]
    if options.max_samples:
        per_speaker: dict[tuple[str, str | None], list[SpeechSample]] = {}
        for s in samples:
            per_speaker.setdefault((s.speaker, sample_label(s, options.scheme)), []).append(s)
        samples = [s for group in per_speaker.values() for s in group[: options.max_samples]]
    return samples


def data_files(options: TrainOptions) -> list[Path]:
    return [s.path for s in labelled_samples(options)]


def speaker_split(
    samples: list[SpeechSample], *, seed: int, held_out: tuple[str, ...] = ()
) -> GroupSplit:
    """About 70/10/20% of speakers; no speaker is in two parts. With ``held_out`` those
    speakers are the test part and two others, chosen by ``seed``, the validation part."""
    if not held_out:
        return split_groups(
            [s.speaker for s in samples], seed=seed, val_fraction=0.1, test_fraction=0.2
        )
    rest = sorted({s.speaker for s in samples} - set(held_out))
    random.Random(seed).shuffle(rest)
    return GroupSplit(train=sorted(rest[2:]), val=sorted(rest[:2]), test=sorted(held_out))


def part_of(sample: SpeechSample, split: GroupSplit) -> str:
    if sample.speaker in split.test:
        return "test"
    return "val" if sample.speaker in split.val else "train"


def held_out(options: TrainOptions, *, part: str = "test") -> list[SpeechSample]:
    samples = labelled_samples(options)
    if part == "all":
        return samples
    split = speaker_split(samples, seed=options.seed, held_out=options.held_out)
    return [s for s in samples if part_of(s, split) == part]


def preprocessing() -> dict:
    return dict(DEFAULT_AUDIO_PREPROCESSING)


def load_waveforms(
    samples: list[SpeechSample], prep: dict
) -> tuple[list[np.ndarray], list[SpeechSample], list[str]]:
    """Decode, keep the speech, normalise every clip as inference does; rejects are listed."""
    waves, kept, rejected = [], [], []
    options = waveform_options(prep)
    for s in samples:
        try:
            audio = decode_audio(s.path, sample_rate=options["sample_rate"])
            waves.append(prepare_waveform(audio, **options))
            kept.append(s)
        except InvalidMedia as exc:
            rejected.append(f"{s.path.name}: {exc.message}")
    return waves, kept, rejected


def build_model(options: TrainOptions, labels: list[str]):
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    id2label = dict(enumerate(labels))
    label2id = {v: k for k, v in id2label.items()}
    if options.pretrained:
        model = Wav2Vec2ForSequenceClassification.from_pretrained(
            str(options.pretrained),
            num_labels=len(labels),
            id2label=id2label,
            label2id=label2id,
            ignore_mismatched_sizes=True,
        )
        model.freeze_feature_encoder()
        return model
    cfg = CONFIGS[options.config]
    config = Wav2Vec2Config(
        hidden_size=cfg["hidden_size"],
        num_hidden_layers=cfg["layers"],
        num_attention_heads=cfg["heads"],
        intermediate_size=cfg["intermediate"],
        conv_dim=cfg["conv_dim"],
        conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        conv_stride=(5, 2, 2, 2, 2, 2, 2),
        feat_extract_norm=cfg.get("norm", "layer"),
        do_stable_layer_norm=cfg.get("norm", "layer") == "layer",
        use_weighted_layer_sum=cfg.get("weighted_layer_sum", False),
        hidden_dropout=cfg.get("dropout", 0.1),
        attention_dropout=cfg.get("dropout", 0.1),
        activation_dropout=cfg.get("dropout", 0.1),
        final_dropout=cfg.get("dropout", 0.1),
        num_conv_pos_embeddings=cfg["pos_kernel"],
        num_conv_pos_embedding_groups=cfg["pos_groups"],
        classifier_proj_size=cfg["proj"],
        mask_time_prob=cfg.get("mask_time_prob", 0.05),
        mask_time_length=5,
        layerdrop=0.0,
        num_labels=len(labels),
        id2label=id2label,
        label2id=label2id,
        vocab_size=4,
    )
    return Wav2Vec2ForSequenceClassification(config)


def set_trainable(model, *, epoch: int, options: TrainOptions, freeze_epochs: int) -> str:
    """Transfer learning: only the head first, then the top two transformer layers too."""
    if not options.pretrained:
        for p in model.parameters():
            p.requires_grad = True
        return "all"
    for p in model.wav2vec2.parameters():
        p.requires_grad = False
    if epoch < freeze_epochs:
        return "head"
    for layer in model.wav2vec2.encoder.layers[-2:]:
        for p in layer.parameters():
            p.requires_grad = True
    return "head+top_layers"


def _augment(wave: np.ndarray, length: int, rng: random.Random) -> np.ndarray:
    """Random time shift (crop position) and background noise at 10-30 dB SNR, renormalised.

    Gain alone is not used: the input is normalised to unit variance, which undoes it.
    """
    samples = wave[0]
    start = rng.randint(0, samples.size - length)
    crop = samples[start : start + length].astype(np.float32, copy=True)
    if rng.random() < 0.5:
        snr_db = rng.uniform(10, 30)
        noise = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(length)
        crop += (noise * (crop.std() / 10 ** (snr_db / 20))).astype(np.float32)
    crop -= crop.mean()
    crop /= np.sqrt(crop.var() + 1e-7)
    return crop


def predict(runner, waves: list[np.ndarray], *, onnx: bool) -> np.ndarray:
    import torch

    out = []
    for wave in waves:
        if onnx:
            out.append(runner.run(None, {INPUT_NAME: wave})[0])
        else:
            with torch.no_grad():
                out.append(runner(input_values=torch.from_numpy(wave)).logits.numpy())
    return softmax(np.concatenate(out))


def stress_metrics(
    probs: np.ndarray, samples: list[SpeechSample], labels: list[str], weights: dict[str, float]
) -> dict:
    """Binary stress metrics from the weighted score (>= 0.5 is stressed), ambiguous excluded."""
    w = np.asarray([weights[label] for label in labels])
    score = probs @ w
    keep = [i for i, s in enumerate(samples) if STRESS_MAP[s.emotion] is not None]
    y = np.asarray([STRESS_LABELS.index(STRESS_MAP[samples[i].emotion]) for i in keep])
    s = np.clip(score[keep], 0.0, 1.0)
    emotions = np.asarray([samples[i].emotion for i in keep])
    return voice_stress.fold_metrics(y, s, emotions)


def evaluate(probs, samples, labels, weights) -> dict:
    result = {"stress": stress_metrics(probs, samples, labels, weights)}
    if labels != STRESS_LABELS:
        y = np.asarray([labels.index(s.emotion) for s in samples])
        result["emotion"] = classification_metrics(y, probs, labels)
    return result


def _quantize_dynamic(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = out.with_name(f".{out.stem}.tmp.onnx")
    try:
        quantize_dynamic(
            str(fp32), str(tmp), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8
        )
        artifacts.atomic_write_bytes(out, tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)


def train(options: TrainOptions) -> TrainResult:
    """Fit, export fp32 + dynamic-int8 ONNX, evaluate on held-out speakers, write the files."""
    import torch

    from training import torch_utils as tu

    started = time.monotonic()
    torch.set_num_threads(max(1, options.threads))
    tu.seed_everything(options.seed)
    cfg = CONFIGS[options.config]
    epochs = options.epochs or cfg["epochs"]
    batch_size = options.batch_size or cfg["batch_size"]
    labels, weights = labels_for(options.scheme)
    prep = preprocessing()
    work = options.out_dir
    work.mkdir(parents=True, exist_ok=True)

    samples = labelled_samples(options)
    split = speaker_split(samples, seed=options.seed, held_out=options.held_out)
    waves, samples, rejected = load_waveforms(samples, prep)
    by_part: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for i, s in enumerate(samples):
        by_part[part_of(s, split)].append(i)
    train_w = [waves[i] for i in by_part["train"]]
    train_y = [labels.index(sample_label(samples[i], options.scheme)) for i in by_part["train"]]
    val_w = [waves[i] for i in by_part["val"]]
    val_s = [samples[i] for i in by_part["val"]]
    test_w = [waves[i] for i in by_part["test"]]
    test_s = [samples[i] for i in by_part["test"]]

    model = build_model(options, labels)
    max_len = int(cfg["train_seconds"] * prep["sample_rate"])

    def make_batch(idx: list[int], rng: random.Random) -> np.ndarray:
        # One crop length per batch (the shortest clip, capped): no padding, no masks, so
        # training sees whole unpadded clips exactly like scoring does.
        length = min(max_len, *(train_w[i].shape[1] for i in idx))
        return np.stack([_augment(train_w[i], length, rng) for i in idx])

    def validate() -> float:
        val_probs = predict(model, val_w, onnx=False)
        return stress_metrics(val_probs, val_s, labels, weights)["balanced_accuracy"]

    fit = tu.fine_tune(
        model,
        name="voice",
        options=options,
        epochs=epochs,
        batch_size=batch_size,
        lr=cfg["lr"],
        weight_decay=1e-2,
        train_y=train_y,
        n_classes=len(labels),
        input_name=INPUT_NAME,
        make_batch=make_batch,
        validate=validate,
        score_key="val_stress_balanced_accuracy",
        set_trainable=set_trainable,
        max_grad_norm=5.0,
    )
    stem = f"voice-{options.version}"
    fp32_path = work / f"{stem}.fp32.onnx"
    tu.export_onnx(
        model,
        torch.zeros(1, prep["sample_rate"]),
        fp32_path,
        input_name=INPUT_NAME,
        dynamic_axes={0: "batch", 1: "time"},
    )
    parity = artifacts.check_parity(
        fp32_path,
        INPUT_NAME,
        test_w[:8],
        lambda a: model(input_values=torch.from_numpy(a)).logits.detach().numpy(),
    )
    variants = {"fp32": fp32_path}
    if options.quantize:
        int8_path = work / f"{stem}.int8.onnx"
        _quantize_dynamic(fp32_path, int8_path)
        variants["int8"] = int8_path
    results = {}
    for name, path in variants.items():
        session = artifacts.ort_session(path, threads=options.threads)
        t0 = time.monotonic()
        probs = predict(session, test_w, onnx=True)
        results[name] = {
            "metrics": evaluate(probs, test_s, labels, weights),
            "size_bytes": path.stat().st_size,
            "ms_per_clip": round(1000 * (time.monotonic() - t0) / max(1, len(test_w)), 1),
        }
    shipped = "fp32"
    if "int8" in results:
        drop = (
            results["fp32"]["metrics"]["stress"]["balanced_accuracy"]
            - results["int8"]["metrics"]["stress"]["balanced_accuracy"]
        )
        faster = results["int8"]["ms_per_clip"] < 0.9 * results["fp32"]["ms_per_clip"]
        if drop <= QUANT_TOLERANCE and faster:
            shipped = "int8"
    final = work / f"{stem}.onnx"
    artifacts.atomic_copy(variants[shipped], final)
    metrics = results[shipped]["metrics"]
    sha = artifacts.sha256_file(final)
    bal = metrics["stress"]["balanced_accuracy"]
    training_info = {
        "config": options.config,
        "scheme": options.scheme,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": cfg["lr"],
        "train_crop_seconds": cfg["train_seconds"],
        "optimizer": "AdamW, weight decay 1e-2, cosine schedule with one warm-up epoch",
        "loss": "cross-entropy with inverse-frequency class weights",
        "augmentation": "random time shift (crop position), Gaussian noise at 10-30 dB SNR "
        "on half the clips"
        + (
            ", SpecAugment-style time masking inside Wav2Vec2"
            if cfg.get("mask_time_prob", 0.05) > 0
            else ""
        ),
        "pretrained": str(options.pretrained) if options.pretrained else None,
        "freeze_epochs": fit.freeze_epochs,
        "best_epoch": fit.best_epoch + 1,
        "history": fit.history,
        "seed": options.seed,
        "max_samples": options.max_samples,
        "duration_s": round(time.monotonic() - started, 1),
        "parity_max_abs_diff": parity,
        "rejected_clips": rejected,
    }
    sidecar = {
        "format_version": artifacts.SIDECAR_FORMAT_VERSION,
        "kind": "voice",
        "version": options.version,
        "onnx_file": final.name,
        "sha256": sha,
        "input_name": INPUT_NAME,
        "output_name": "logits",
        "labels": labels,
        "score_weights": weights,
        "emotion_mapping": {k: v for k, v in STRESS_MAP.items()},
        "preprocessing": prep,
        "output": "probabilities",
        "quantization": "dynamic-int8-matmul" if shipped == "int8" else "none",
        "metrics": {
            "stress_balanced_accuracy": bal,
            "stress_accuracy": metrics["stress"]["accuracy"],
            "stress_roc_auc": metrics["stress"]["roc_auc"],
        },
        "model_card": f"{stem}.md",
        "training": {k: v for k, v in training_info.items() if k != "history"},
    }
    card = {
        "kind": "voice",
        "version": options.version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": "Scores vocal stress from a short speech clip. Emotions are mapped to "
        "stress: angry, fearful, sad, disgust -> stressed; neutral, calm, happy -> not "
        "stressed; surprised is ambiguous and left out of training and evaluation.",
        "onnx_file": final.name,
        "sha256": sha,
        "size_bytes": final.stat().st_size,
        "shipped_variant": shipped,
        "output_description": "softmax over labels; score = sum of p(label) x score_weights",
        "model": {
            "architecture": "transformers Wav2Vec2ForSequenceClassification "
            + (
                "(pretrained checkpoint)"
                if options.pretrained
                else f"(hidden {cfg['hidden_size']}, {cfg['layers']} layers, conv "
                f"{list(cfg['conv_dim'])})"
            ),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "initialisation": f"from {options.pretrained}"
            if options.pretrained
            else "from scratch",
            "preprocessing": prep,
        },
        "data": {
            **cards.DATA_SOURCES["voice"],
            "n_samples": len(samples),
            "label_mapping": {k: v for k, v in STRESS_MAP.items()}
            if options.scheme == "binary"
            else weights,
        },
        "split": {
            "method": "seeded split by speaker (actor): no speaker appears in two parts; "
            "about 70% of speakers train, 10% validation (best epoch), 20% test",
            "seed": options.seed,
            "train": len(train_w),
            "val": len(val_w),
            "test": len(test_w),
            "train_groups": split.train,
            "val_groups": split.val,
            "test_groups": split.test,
        },
        "metrics": metrics,
        "targets": [
            {
                "name": "stress balanced accuracy on held-out speakers",
                "required": TARGET_BALANCED_ACCURACY,
                "measured": bal,
                "met": bal >= TARGET_BALANCED_ACCURACY,
            }
        ],
        "variants": results,
        "variant_choice": f"Shipped {shipped}: int8 (MatMul weights only) ships when it loses "
        f"at most {QUANT_TOLERANCE:.0%} balanced accuracy and is at least 10% faster.",
        "training": training_info,
        "limits": [
            "Trained from scratch on about a thousand clips (no pretrained speech weights were "
            "available): a small model that has only heard acted "
            "speech. Fine-tuning self-supervised weights (--pretrained DIR) is the way to a "
            "sturdier model.",
            "RAVDESS is acted emotion by 24 North-American actors reading two sentences; "
            "real workplace speech is subtler, so scores are a rough signal.",
            f"Only {len(split.test)} held-out speakers: the balanced accuracy carries a wide "
            "uncertainty (several points); another seed gives other speakers and figures.",
            f"The scorer keeps the detected speech and crops it to its central "
            f"{prep['max_seconds']} s; training used random {cfg['train_seconds']} s windows of "
            "the same speech and was evaluated on whole clips.",
        ],
    }
    return TrainResult(
        kind="voice",
        version=options.version,
        stem=stem,
        work_dir=work,
        sidecar=sidecar,
        card=card,
    )


def cross_validate(options: TrainOptions, *, folds: list[list[str]]) -> list[dict]:
    """Train and test once per fold of held-out speakers (``training.voice_stress.actor_folds``);
    the figures are those of the exported fp32 ONNX on the held-out speakers."""
    import dataclasses

    results = []
    for index, held in enumerate(folds, start=1):
        fold = dataclasses.replace(
            options,
            held_out=tuple(held),
            out_dir=options.out_dir / f"fold-{index}",
            quantize=False,
            version=f"{options.version}-fold{index}",
        )
        result = train(fold)
        stress = result.card["metrics"]["stress"]
        matrix = stress["confusion_matrix"]["matrix"]
        results.append(
            {
                "held_out": held,
                "metrics": {
                    "balanced_accuracy": stress["balanced_accuracy"],
                    "roc_auc": stress.get("roc_auc", float("nan")),
                    "not_stressed_below_half": matrix[0][0] / max(1, sum(matrix[0])),
                    "calm_below_half": stress["calm_below_half"],
                    "stressed_above_half": stress["stressed_above_half"],
                },
                "best_epoch": result.card["training"]["best_epoch"],
            }
        )
    return results
