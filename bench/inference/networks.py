"""The models alone: PyTorch eager against ONNX Runtime fp32 and int8 on one input each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from bench.inference.common import (
    ReportRow,
    Results,
    Settings,
    compare,
    ort_session,
    softmax,
)
from bench.inference.inputs import real_speech
from bench.inference.models import (
    export,
    pre_processed_path,
    quantize_cnn,
    quantize_conv_front_end,
    quantize_transformer,
    resnet,
    wav2vec2,
)
from training.artifacts import OnnxSession

if TYPE_CHECKING:
    import torch
    from transformers import ResNetForImageClassification, Wav2Vec2ForSequenceClassification


class ExportedCnn(NamedTuple):
    model: ResNetForImageClassification
    fp32: Path
    int8: Path


class ExportedWav2Vec2(NamedTuple):
    model: Wav2Vec2ForSequenceClassification
    fp32: Path
    int8: Path  # the faster of the two int8 variants on 5 s


def bench_cnn(
    name: str, image: Path, settings: Settings, rows: list[ReportRow], results: Results
) -> ExportedCnn:
    import torch

    from inference.preprocessing import image_to_tensor, preprocess_image

    model = resnet(name)
    x = preprocess_image(image)
    slug = name.lower().replace("-", "")
    fp32 = settings.work / f"{slug}-fp32.onnx"
    int8 = settings.work / f"{slug}-int8.onnx"
    if not (settings.skip_export and fp32.exists() and int8.exists()):
        # A dynamic batch: the check-in path scores three crops at once. (Exported from a
        # batch of two, since a dimension of size 1 would be fixed.)
        export(model, np.concatenate([x, x]), fp32, "pixel_values", 0)
        from PIL import Image

        rng = np.random.default_rng(2)
        calibration = [
            image_to_tensor(Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)))
            for _ in range(8)
        ] + [x]
        quantize_cnn(fp32, int8, calibration)
    s32, s8 = ort_session(fp32, settings.threads), ort_session(int8, settings.threads)
    tx = torch.from_numpy(x)
    with torch.no_grad():
        t = compare(
            {
                "torch": lambda: model(pixel_values=tx).logits,
                "fp32": lambda: s32.run(None, {"pixel_values": x}),
                "int8": lambda: s8.run(None, {"pixel_values": x}),
            },
            repeats=settings.repeats,
        )
        p_torch = softmax(model(pixel_values=tx).logits.numpy())
    p32 = softmax(s32.run(None, {"pixel_values": x})[0])
    p8 = softmax(s8.run(None, {"pixel_values": x})[0])
    diff = float(np.abs(p8 - p32).max())
    rows.append(ReportRow(f"{name} 224x224", t, diff, "static QDQ"))
    results[slug] = {
        "ms": t,
        "max_prob_diff_int8_vs_fp32": diff,
        "max_prob_diff_fp32_vs_torch": float(np.abs(p32 - p_torch).max()),
        "int8_mb": int8.stat().st_size / 1e6,
    }
    return ExportedCnn(model, fp32, int8)


def _audio_run(session: OnnxSession, x: np.ndarray) -> Callable[[], object]:
    return lambda: session.run(None, {"input_values": x})


def _audio_runs(
    model: Wav2Vec2ForSequenceClassification,
    tx: torch.Tensor,
    sessions: dict[str, OnnxSession],
    x: np.ndarray,
) -> dict[str, Callable[[], object]]:
    """PyTorch on ``tx`` and every ONNX variant on ``x`` (the same clip), for ``compare``."""
    return {
        "torch": lambda: model(input_values=tx).logits,
        **{name: _audio_run(session, x) for name, session in sessions.items()},
    }


def bench_wav2vec2(
    clips: dict[int, Path], settings: Settings, rows: list[ReportRow], results: Results
) -> ExportedWav2Vec2:
    """Two int8 variants: dynamic MatMul/Gemm only, and that plus static QDQ Conv layers."""
    import torch

    from inference.preprocessing import prepare_waveform, preprocess_audio

    model = wav2vec2()
    work = settings.work
    fp32 = work / "wav2vec2-base-fp32.onnx"
    int8 = work / "wav2vec2-base-int8.onnx"
    conv_qdq = work / "wav2vec2-base-convqdq.onnx"
    int8_conv = work / "wav2vec2-base-int8-conv.onnx"
    waves = {seconds: preprocess_audio(path) for seconds, path in clips.items()}
    if not (settings.skip_export and fp32.exists() and int8.exists() and int8_conv.exists()):
        export(model, waves[5], fp32, "input_values", 1)
        quantize_transformer(fp32, int8)
        calibration = [
            prepare_waveform(real_speech(5.0, seed=3 * seed), min_speech_seconds=0)
            for seed in range(4)
        ]
        quantize_conv_front_end(pre_processed_path(fp32), conv_qdq, calibration)
        quantize_transformer(conv_qdq, int8_conv)
    sessions = {
        "fp32": ort_session(fp32, settings.threads),
        "int8": ort_session(int8, settings.threads),
        "int8_conv": ort_session(int8_conv, settings.threads),
    }
    for seconds in (3, 5):
        x = waves[seconds]
        tx = torch.from_numpy(x)
        with torch.no_grad():
            t = compare(_audio_runs(model, tx, sessions, x), repeats=settings.repeats)
            p_torch = softmax(model(input_values=tx).logits.numpy())
        probs = {
            name: softmax(ses.run(None, {"input_values": x})[0]) for name, ses in sessions.items()
        }
        diff = float(np.abs(probs["int8"] - probs["fp32"]).max())
        diff_conv = float(np.abs(probs["int8_conv"] - probs["fp32"]).max())
        label = f"Wav2Vec2-base {seconds} s"
        rows.append(ReportRow(label, t, diff, "dynamic MatMul"))
        rows.append(ReportRow(label, t | {"int8": t["int8_conv"]}, diff_conv, "+ static QDQ Conv"))
        results[f"wav2vec2_{seconds}s"] = {
            "ms": t,
            "max_prob_diff_int8_vs_fp32": diff,
            "max_prob_diff_int8_conv_vs_fp32": diff_conv,
            "max_prob_diff_fp32_vs_torch": float(np.abs(probs["fp32"] - p_torch).max()),
            "int8_mb": int8.stat().st_size / 1e6,
            "int8_conv_mb": int8_conv.stat().st_size / 1e6,
        }
    fastest = min(("int8", "int8_conv"), key=lambda name: results["wav2vec2_5s"]["ms"][name]["cpu"])
    results["wav2vec2_fastest_int8"] = fastest
    return ExportedWav2Vec2(model, fp32, int8 if fastest == "int8" else int8_conv)
