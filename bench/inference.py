"""Inference benchmark: PyTorch eager vs ONNX Runtime fp32 vs int8, a full check-in, worker RSS.

    .venv/bin/python -m bench.inference [--repeats 7] [--threads 1] [--skip-export]

Models are random-initialised from transformers configs (timing does not depend on the
weights): ResNet-18 and ResNet-50 (224x224 image), Wav2Vec2 with the base-sized config
(3 s and 5 s of 16 kHz audio, the optional ``--architecture wav2vec2`` voice model) and an
XGBoost burnout regressor trained on synthetic rows. The shipped voice model (voice encoder,
prosody and a small head) is measured with its real weights, the encoder against the same
network in PyTorch eager (``training.voice_encoder.from_onnx``).
The audio is the committed test sentences (real speech, which the speech detector keeps).
Quantisation: static QDQ int8 for the CNNs; for Wav2Vec2 dynamic int8 on MatMul/Gemm only, and
the same plus static QDQ int8 on its convolutional feature encoder.

The full check-in compares the worker's real path (``inference.services`` with the int8 models
registered in a throw-away SQLite registry) with the same preprocessing feeding PyTorch eager
models and native XGBoost. The worker's start-up and resident memory are measured in a fresh
process that never imports torch. Exported models and a JSON copy of the results go to
``bench/results/inference/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "results" / "inference"
SPEECH_DIR = ROOT / "inference" / "tests" / "fixtures" / "speech"
VOICE_LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
VOICE_WEIGHTS = [0.3, 0.2, 0.1, 0.6, 0.9, 0.85, 0.8, 0.4]


def _django(work: Path) -> None:
    """A throw-away registry so the benchmark never touches the project's database."""
    db = work / "registry.sqlite3"
    db.unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "resonance.settings"
    os.environ["RESONANCE_VAR_DIR"] = str(work)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    import django

    django.setup()
    from django.db import connection

    from inference.models import ModelVersion

    with connection.schema_editor() as editor:
        editor.create_model(ModelVersion)


def compare(fns: dict[str, Callable[[], object]], *, repeats: int, warmup: int = 1) -> dict:
    """Median milliseconds per function, run interleaved so background load hits all alike.

    Returns name -> {"cpu": thread CPU ms, "wall": wall ms}. With one intra-op thread every
    backend computes on the calling thread, so thread CPU time is the latency on an idle core
    even when other jobs share the machine; wall time is kept for reference.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    wall: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            wall_start, cpu_start = time.perf_counter(), time.thread_time()
            fn()
            cpu[name].append((time.thread_time() - cpu_start) * 1000)
            wall[name].append((time.perf_counter() - wall_start) * 1000)
    return {
        name: {"cpu": statistics.median(cpu[name]), "wall": statistics.median(wall[name])}
        for name in fns
    }


def softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64).reshape(-1)
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


def fatigued_rows(logits: np.ndarray) -> np.ndarray:
    """P(fatigued) of each row of [alert, fatigued] logits."""
    logits = np.asarray(logits, dtype=np.float64)
    return 1 / (1 + np.exp(logits[:, 0] - logits[:, 1]))


def ort_session(path: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )


# --- Sample inputs -------------------------------------------------------------


PORTRAIT = ROOT / "inference" / "tests" / "fixtures" / "astronaut.jpg"
STARTER_FATIGUE_SIDECAR = ROOT / "models" / "fatigue" / "fatigue-starter-2026.12.json"
STARTER_VOICE_SIDECAR = ROOT / "models" / "voice" / "voice-starter-2026.12.json"


def sample_image(work: Path) -> Path:
    """A 960x720 webcam-sized photo with one real face (the portrait fixture): the face gate
    refuses anything else."""
    from PIL import Image

    path = work / "face.jpg"
    canvas = Image.new("RGB", (960, 720), (96, 100, 104))
    canvas.paste(Image.open(PORTRAIT).convert("RGB").resize((600, 600)), (180, 60))
    canvas.save(path, "JPEG", quality=90)
    return path


def real_speech(seconds: float, *, seed: int) -> np.ndarray:
    """``seconds`` of the committed test sentences (real speech, 16 kHz) back to back, starting
    ``seed`` seconds in; synthetic tones would be refused by the speech detector."""
    import soundfile

    voice = np.concatenate(
        [soundfile.read(path, dtype="float32")[0] for path in sorted(SPEECH_DIR.glob("*.wav"))]
    )
    return np.resize(np.roll(voice, -seed * 16000), int(seconds * 16000))


def sample_clip(work: Path, seconds: float) -> Path:
    import soundfile

    path = work / f"speech-{seconds:g}s.wav"
    soundfile.write(path, real_speech(seconds, seed=int(seconds)), 16000)
    return path


# --- Models --------------------------------------------------------------------


def resnet(name: str):
    import torch
    from transformers import ResNetConfig, ResNetForImageClassification

    torch.manual_seed(0)
    if name == "ResNet-18":
        config = ResNetConfig(
            layer_type="basic", depths=[2, 2, 2, 2], hidden_sizes=[64, 128, 256, 512], num_labels=2
        )
    else:
        config = ResNetConfig(
            layer_type="bottleneck",
            depths=[3, 4, 6, 3],
            hidden_sizes=[256, 512, 1024, 2048],
            num_labels=2,
        )
    return ResNetForImageClassification(config).eval()


def wav2vec2():
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    torch.manual_seed(0)
    config = Wav2Vec2Config(num_labels=len(VOICE_LABELS))  # the base-sized defaults
    return Wav2Vec2ForSequenceClassification(config).eval()


class LogitsOnly:
    """Wrap a transformers model so the exported graph returns the logits tensor only."""

    @staticmethod
    def image(model):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, pixel_values):
                return self.model(pixel_values=pixel_values).logits

        return Wrapper().eval()

    @staticmethod
    def audio(model):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_values):
                return self.model(input_values=input_values).logits

        return Wrapper().eval()


def export(module, example: np.ndarray, path: Path, input_name: str, dynamic_axis: int | None):
    import torch

    axis_name = "batch" if dynamic_axis == 0 else "samples"
    dynamic = {input_name: {dynamic_axis: axis_name}} if dynamic_axis is not None else None
    with torch.no_grad():
        program = torch.onnx.export(
            module,
            (torch.from_numpy(example),),
            input_names=[input_name],
            output_names=["logits"],
            dynamo=True,
            dynamic_shapes=dynamic,
            external_data=False,
        )
    program.save(str(path), external_data=False)


def quantize_cnn(fp32: Path, int8: Path, calibration: list[np.ndarray]) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"pixel_values": x} for x in calibration])

        def get_next(self):
            return next(self.items, None)

    prepared = fp32.with_name(fp32.stem + "-pre.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(int8),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )


def quantize_conv_front_end(prepared: Path, out: Path, calibration: list[np.ndarray]) -> None:
    """Static QDQ int8 for the Conv layers only (Wav2Vec2's feature encoder is a CNN)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"input_values": x} for x in calibration])

        def get_next(self):
            return next(self.items, None)

    quantize_static(
        str(prepared),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )


def quantize_transformer(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = fp32.with_name(fp32.stem + "-pre.onnx")
    if not prepared.exists() or prepared.stat().st_mtime < fp32.stat().st_mtime:
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    quantize_dynamic(
        str(prepared),
        str(int8),
        op_types_to_quantize=["MatMul", "Gemm"],
        weight_type=QuantType.QInt8,
        # Only weight MatMuls: quantising activation x activation products (attention) is slower.
        extra_options={"MatMulConstBOnly": True},
    )


def burnout_model(work: Path):
    """XGBoost on synthetic rows shaped like the HackerEarth data, exported to ONNX."""
    import onnxmltools
    import xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    from inference.testing import BURNOUT_FEATURES

    rng = np.random.default_rng(0)
    rows = 4000
    x = np.column_stack(
        [
            rng.integers(0, 365, rows),
            rng.integers(0, 6, rows),
            rng.integers(0, 2, rows),
            rng.integers(0, 2, rows),
            rng.integers(1, 11, rows),
            rng.uniform(0, 10, rows),
        ]
    ).astype(np.float32)
    y = np.clip(0.08 * x[:, 5] + 0.02 * x[:, 4] + 0.02 * x[:, 1] + rng.normal(0, 0.04, rows), 0, 1)
    x[rng.random(x.shape) < 0.06] = np.nan
    model = xgboost.XGBRegressor(n_estimators=200, max_depth=5, learning_rate=0.1)
    model.fit(x, y)
    onx = onnxmltools.convert_xgboost(
        model,
        initial_types=[("features", FloatTensorType([None, len(BURNOUT_FEATURES)]))],
        target_opset=15,
    )
    path = work / "burnout" / "burnout-bench.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    return model, path


def write_sidecar(path: Path, kind: str, extra: dict) -> None:
    import hashlib

    meta = {
        "format_version": 1,
        "kind": kind,
        "version": path.stem.split("-", 1)[1],
        "onnx_file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "metrics": {},
        "training": {"note": "random-initialised benchmark model"},
        **extra,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2))


# --- Measurements --------------------------------------------------------------


def bench_cnn(name, image, work, repeats, threads, skip_export, rows, results):
    import torch

    from inference.preprocessing import image_to_tensor, preprocess_image

    model = resnet(name)
    x = preprocess_image(image)
    slug = name.lower().replace("-", "")
    fp32 = work / f"{slug}-fp32.onnx"
    int8 = work / f"{slug}-int8.onnx"
    if not (skip_export and fp32.exists() and int8.exists()):
        # A dynamic batch: the check-in path scores three crops at once. (Exported from a
        # batch of two, since a dimension of size 1 would be fixed.)
        export(LogitsOnly.image(model), np.concatenate([x, x]), fp32, "pixel_values", 0)
        from PIL import Image

        rng = np.random.default_rng(2)
        calibration = [
            image_to_tensor(Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)))
            for _ in range(8)
        ] + [x]
        quantize_cnn(fp32, int8, calibration)
    s32, s8 = ort_session(fp32, threads), ort_session(int8, threads)
    tx = torch.from_numpy(x)
    with torch.no_grad():
        t = compare(
            {
                "torch": lambda: model(pixel_values=tx).logits,
                "fp32": lambda: s32.run(None, {"pixel_values": x}),
                "int8": lambda: s8.run(None, {"pixel_values": x}),
            },
            repeats=repeats,
        )
        p_torch = softmax(model(pixel_values=tx).logits.numpy())
    p32 = softmax(s32.run(None, {"pixel_values": x})[0])
    p8 = softmax(s8.run(None, {"pixel_values": x})[0])
    diff = float(np.abs(p8 - p32).max())
    rows.append((f"{name} 224x224", t, diff, "static QDQ"))
    results[slug] = {
        "ms": t,
        "max_prob_diff_int8_vs_fp32": diff,
        "max_prob_diff_fp32_vs_torch": float(np.abs(p32 - p_torch).max()),
        "int8_mb": int8.stat().st_size / 1e6,
    }
    return model, fp32, int8


def bench_wav2vec2(clips, work, repeats, threads, skip_export, rows, results):
    """Two int8 variants: dynamic MatMul/Gemm only, and that plus static QDQ Conv layers."""
    import torch

    from inference.preprocessing import prepare_waveform, preprocess_audio

    model = wav2vec2()
    fp32 = work / "wav2vec2-base-fp32.onnx"
    int8 = work / "wav2vec2-base-int8.onnx"
    conv_qdq = work / "wav2vec2-base-convqdq.onnx"
    int8_conv = work / "wav2vec2-base-int8-conv.onnx"
    waves = {seconds: preprocess_audio(path) for seconds, path in clips.items()}
    if not (skip_export and fp32.exists() and int8.exists() and int8_conv.exists()):
        export(LogitsOnly.audio(model), waves[5], fp32, "input_values", 1)
        quantize_transformer(fp32, int8)
        calibration = [
            prepare_waveform(real_speech(5.0, seed=3 * seed), min_speech_seconds=0)
            for seed in range(4)
        ]
        quantize_conv_front_end(fp32.with_name(fp32.stem + "-pre.onnx"), conv_qdq, calibration)
        quantize_transformer(conv_qdq, int8_conv)
    sessions = {
        "fp32": ort_session(fp32, threads),
        "int8": ort_session(int8, threads),
        "int8_conv": ort_session(int8_conv, threads),
    }
    for seconds in (3, 5):
        x = waves[seconds]
        tx = torch.from_numpy(x)
        fns = {"torch": lambda tx=tx: model(input_values=tx).logits}
        for name, session in sessions.items():
            fns[name] = lambda x=x, session=session: session.run(None, {"input_values": x})
        with torch.no_grad():
            t = compare(fns, repeats=repeats)
            p_torch = softmax(model(input_values=tx).logits.numpy())
        probs = {
            name: softmax(ses.run(None, {"input_values": x})[0]) for name, ses in sessions.items()
        }
        diff = float(np.abs(probs["int8"] - probs["fp32"]).max())
        diff_conv = float(np.abs(probs["int8_conv"] - probs["fp32"]).max())
        label = f"Wav2Vec2-base {seconds} s"
        rows.append((label, t, diff, "dynamic MatMul"))
        rows.append((label, t | {"int8": t["int8_conv"]}, diff_conv, "+ static QDQ Conv"))
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
    return model, fp32, int8 if fastest == "int8" else int8_conv


def bench_checkin(image, clip, cnn, burnout, repeats, threads, results):
    """The worker's scoring path (int8, services) against the PyTorch-eager pipeline."""
    import shutil

    import torch

    from inference import fatigue as fatigue_pipeline
    from inference import runtime, services, tabular, voice_features
    from inference import voice as voice_pipeline
    from inference.preprocessing import decode_audio, decode_image
    from inference.registry import register_model_file
    from inference.testing import BURNOUT_ENCODING, BURNOUT_FEATURES
    from training.voice_encoder import from_onnx

    cnn_model, cnn_fp32, cnn_int8 = cnn
    xgb_model, burnout_path = burnout
    voice_meta = json.loads(STARTER_VOICE_SIDECAR.read_text())
    encoder_onnx = voice_features.encoder_dir() / "voice_encoder.onnx"
    torch_encoder = from_onnx(encoder_onnx)
    registry = WORK / "registry"
    shutil.rmtree(registry, ignore_errors=True)
    fatigue_path = registry / "fatigue" / "fatigue-bench.onnx"
    voice_path = registry / "voice" / "voice-bench.onnx"
    fatigue_path.parent.mkdir(parents=True)
    voice_path.parent.mkdir(parents=True)
    shutil.copy(cnn_int8, fatigue_path)
    # The shipped voice model as it is: a head over the voice encoder's embedding and prosody.
    shutil.copy(STARTER_VOICE_SIDECAR.with_suffix(".onnx"), voice_path)
    write_sidecar(
        fatigue_path,
        "fatigue",
        {
            "input_name": "pixel_values",
            "output_name": "logits",
            "labels": ["alert", "fatigued"],
            "score_weights": {"alert": 0.0, "fatigued": 1.0},
            "output": "probabilities",
            "preprocessing": {"image_size": 224, "resize": 256},
            # The shipped starter's fitted combiner: the same arithmetic as at check-in.
            "pipeline": fatigue_pipeline.PIPELINE,
            "combiner": json.loads(STARTER_FATIGUE_SIDECAR.read_text())["combiner"],
        },
    )
    voice_path.with_suffix(".json").write_text(
        json.dumps(voice_meta | {"version": "bench", "onnx_file": voice_path.name})
    )
    write_sidecar(
        burnout_path,
        "burnout",
        {
            "input_name": "features",
            "output_name": "variable",
            "features": BURNOUT_FEATURES,
            "feature_encoding": BURNOUT_ENCODING,
            "output": "regression",
        },
    )
    for path in (fatigue_path, voice_path, burnout_path):
        register_model_file(path, activate=True)
    from django.conf import settings

    settings.ORT_INTRA_OP_THREADS = threads
    runtime.reset()
    features = {
        "tenure_days": 200,
        "designation": 2,
        "company_type": "service",
        "wfh_available": True,
        "resource_allocation": 6,
        "mental_fatigue": 5.5,
    }

    def ort_checkin():
        return (
            services.score_image(image),
            services.score_audio(clip),
            services.score_burnout(features),
        )

    fatigue_meta = {
        "pipeline": fatigue_pipeline.PIPELINE,
        "combiner": json.loads(STARTER_FATIGUE_SIDECAR.read_text())["combiner"],
        "preprocessing": {"image_size": 224, "resize": 256},
    }

    def torch_predict(batch: np.ndarray) -> np.ndarray:
        return fatigued_rows(cnn_model(pixel_values=torch.from_numpy(batch)).logits.numpy())

    prep = voice_meta["preprocessing"]

    def torch_voice(head) -> float:
        # The speech gate, mel spectrogram and prosody are numpy (no torch model exists for
        # them); the voice encoder runs in PyTorch eager with the shipped weights; the
        # small head runs in ONNX Runtime on both paths.
        analysis = voice_pipeline.analyse_speech(decode_audio(clip), **prep)
        mels = torch.from_numpy(voice_features.partial_mels(analysis.speech))
        embedding = voice_features.mean_embedding(torch_encoder(mels).numpy())
        values = dict(zip(voice_features.EMBEDDING_FEATURES, embedding.tolist(), strict=True))
        values |= analysis.prosody
        row = np.array([[values[name] for name in voice_meta["features"]]], dtype=np.float32)
        return float(head.run(None, {"features": row})[0][0, 1])

    def torch_checkin():
        # The same work: the face gate, landmarks and crops (ONNX: no torch model exists for
        # them), the fatigue CNN on the three crops in torch, the voice path as above.
        with torch.no_grad():
            fatigue = fatigue_pipeline.estimate(
                decode_image(image), metadata=fatigue_meta, predict=torch_predict
            )
            stress = torch_voice(sessions["voice"])
        row = tabular.encode_features(
            features, feature_names=BURNOUT_FEATURES, encoding=BURNOUT_ENCODING
        )
        return fatigue.probability, stress, xgb_model.predict(row)

    # Pure session.run on the same, already preprocessed inputs: the floor for overhead.
    _, img_x = fatigue_pipeline.model_inputs(decode_image(image), fatigue_meta["preprocessing"])
    analysis = voice_pipeline.analyse_speech(decode_audio(clip), **prep)
    mels_x = voice_features.partial_mels(analysis.speech)
    voice_x = analysis.features(voice_meta["features"])
    row = tabular.encode_features(
        features, feature_names=BURNOUT_FEATURES, encoding=BURNOUT_ENCODING
    )
    ort_checkin()
    sessions = {kind: runtime.get_model(kind).session for kind in ("fatigue", "voice", "burnout")}
    encoder_session = ort_session(encoder_onnx, threads)

    def pure_run():
        sessions["fatigue"].run(None, {"pixel_values": img_x})
        encoder_session.run(None, {"mels": mels_x})
        sessions["voice"].run(None, {"features": voice_x})
        sessions["burnout"].run(None, {"features": row})

    t = compare(
        {"torch": torch_checkin, "worker": ort_checkin, "session_run": pure_run}, repeats=repeats
    )
    # Parity of the shipped int8 path against fp32 on the same inputs.
    fatigue, voice, burn = ort_checkin()
    fp32_session = ort_session(cnn_fp32, threads)
    p_fat32 = fatigue_pipeline.estimate(
        decode_image(image),
        metadata=fatigue_meta,
        predict=lambda batch: fatigued_rows(fp32_session.run(None, {"pixel_values": batch})[0]),
    ).probability
    with torch.no_grad():
        p_voice_torch = torch_voice(sessions["voice"])
    fat_diff = abs(fatigue.score - p_fat32)
    voice_diff = abs(voice.score - p_voice_torch)
    burn_diff = float(abs(burn.score - float(np.clip(xgb_model.predict(row)[0], 0, 1))))
    results["checkin"] = {
        "ms": t,
        "speedup": t["torch"]["cpu"] / t["worker"]["cpu"],
        "speedup_wall": t["torch"]["wall"] / t["worker"]["wall"],
        "overhead_ratio": t["worker"]["cpu"] / t["session_run"]["cpu"],
        "overhead_ratio_wall": t["worker"]["wall"] / t["session_run"]["wall"],
        "max_prob_diff_fatigue": fat_diff,
        "max_prob_diff_voice": voice_diff,
        "burnout_diff_vs_xgboost": burn_diff,
    }


def bench_voice_features(clips: dict[int, Path], repeats: int, threads: int, results: dict):
    """The voice model's feature extraction per clip length: the voice encoder in ONNX Runtime
    against the same encoder in PyTorch eager, prosody (numpy), and the whole analysis."""
    import torch
    from django.conf import settings

    from inference import voice, voice_features
    from inference.preprocessing import decode_audio
    from training.voice_encoder import from_onnx

    settings.ORT_INTRA_OP_THREADS = threads
    voice_features.reset()
    onnx_path = voice_features.encoder_dir() / "voice_encoder.onnx"
    session = ort_session(onnx_path, threads)
    model = from_onnx(onnx_path)
    prep = json.loads(STARTER_VOICE_SIDECAR.read_text())["preprocessing"]
    names = json.loads(STARTER_VOICE_SIDECAR.read_text())["features"]
    out: dict = {}
    for seconds, path in clips.items():
        analysis = voice.analyse_speech(decode_audio(path), **prep)
        mels = voice_features.partial_mels(analysis.speech)
        tensor = torch.from_numpy(mels)
        with torch.no_grad():
            t = compare(
                {
                    "encoder_torch": lambda tensor=tensor: model(tensor),
                    "encoder_ort": lambda mels=mels: session.run(None, {"mels": mels}),
                    "mel": lambda a=analysis: voice_features.partial_mels(a.speech),
                    "prosody": lambda a=analysis: voice_features.prosody(
                        a.speech, segments=list(a.spans)
                    ),
                    "analysis": lambda path=path: voice.analyse_speech(
                        decode_audio(path), **prep
                    ).features(names),
                },
                repeats=repeats,
            )
            diff = float(np.abs(model(tensor).numpy() - session.run(None, {"mels": mels})[0]).max())
        out[f"{seconds}s"] = {
            "ms": t,
            "partials": int(mels.shape[0]),
            "encoder_speedup": t["encoder_torch"]["cpu"] / t["encoder_ort"]["cpu"],
            "encoder_max_abs_diff": diff,
        }
    results["voice_features"] = out


def bench_face(image: Path, repeats: int, threads: int, results: dict) -> None:
    """The photo gate alone: detection, 468 landmarks, light and blur checks, eye crops."""
    from django.conf import settings

    from inference import face
    from inference.preprocessing import decode_image

    settings.ORT_INTRA_OP_THREADS = threads
    face.reset()
    photo = decode_image(image)

    def gate():
        face.eye_crops(photo, face.analyse_face(photo))

    results["face"] = {"ms": compare({"gate + landmarks + crops": gate}, repeats=repeats)}


def bench_vad(clips: dict[int, Path], repeats: int, threads: int, results: dict) -> None:
    """The speech detector alone (it runs at upload and again in the worker), per clip length."""
    from django.conf import settings

    from inference import vad
    from inference.preprocessing import decode_audio

    settings.ORT_INTRA_OP_THREADS = threads
    vad.reset()
    samples = {seconds: decode_audio(path) for seconds, path in clips.items()}
    fns = {seconds: (lambda x=x: vad.speech_segments(x)) for seconds, x in samples.items()}
    results["vad"] = {
        "ms": {f"{seconds}s": t for seconds, t in compare(fns, repeats=repeats).items()}
    }


WORKER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import psutil

    def peak_mb():
        # VmHWM belongs to this process image; ru_maxrss would carry the parent's across exec.
        with open("/proc/self/status") as status:
            line = next(row for row in status if row.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    import django
    django.setup()
    from inference import face, runtime, services, vad, voice_features
    loaded = runtime.load_active_models()
    face.load()
    vad.load()
    voice_features.load()
    process = psutil.Process()
    ready = time.time() - process.create_time()
    cpu = process.cpu_times()
    ready_cpu = cpu.user + cpu.system
    rss_loaded = process.memory_info().rss
    image, clip = sys.argv[1], sys.argv[2]
    services.score_image(image)
    services.score_audio(clip)
    services.score_burnout({"mental_fatigue": 4, "resource_allocation": 5})
    print(json.dumps({
        "loaded": loaded,
        "startup_s": ready,
        "startup_cpu_s": ready_cpu,
        "rss_loaded_mb": rss_loaded / 2**20,
        "rss_after_10s_clip_mb": process.memory_info().rss / 2**20,
        "peak_rss_mb": peak_mb(),
        "torch_imported": any(m.split(".")[0] in ("torch", "transformers") for m in sys.modules),
    }))
    """
)


def bench_worker(image: Path, clip10: Path, threads: int, results: dict) -> None:
    env = {**os.environ, "ORT_INTRA_OP_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT, str(image), str(clip10)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    results["worker"] = json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch and ORT intra-op threads")
    parser.add_argument(
        "--skip-export", action="store_true", help="reuse exported models from a previous run"
    )
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    _django(WORK)
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    image = sample_image(WORK)
    clips = {seconds: sample_clip(WORK, seconds) for seconds in (3, 5, 10)}
    rows: list[tuple] = []
    results: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "threads": args.threads,
        "repeats": args.repeats,
        "load_average_at_start": os.getloadavg(),
    }
    bench_cnn("ResNet-18", image, WORK, args.repeats, args.threads, args.skip_export, rows, results)
    cnn = bench_cnn(
        "ResNet-50", image, WORK, args.repeats, args.threads, args.skip_export, rows, results
    )
    bench_wav2vec2(
        {3: clips[3], 5: clips[5]},
        WORK,
        args.repeats,
        args.threads,
        args.skip_export,
        rows,
        results,
    )
    burnout = burnout_model(WORK / "registry-src")
    bench_checkin(image, clips[5], cnn, burnout, args.repeats, args.threads, results)
    bench_voice_features(clips, args.repeats, args.threads, results)
    bench_vad(clips, args.repeats, args.threads, results)
    bench_face(image, args.repeats, args.threads, results)
    bench_worker(image, clips[10], args.threads, results)
    results["load_average_at_end"] = os.getloadavg()
    results["total_s"] = time.perf_counter() - started
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    print_report(rows, results)


def print_report(rows: list[tuple], results: dict) -> None:
    print(
        f"\nInference benchmark - {results['machine']}, {results['threads']} thread(s), "
        f"median of {results['repeats']} interleaved runs, thread CPU ms (wall ms)"
    )
    header = (
        f"{'model / input':<20}{'PyTorch eager':>18}{'ORT fp32':>18}{'ORT int8':>18}"
        f"{'int8 vs torch':>15}{'|dp| int8':>11}  int8 method"
    )
    print(header)
    print("-" * len(header))

    def cell(t):
        return f"{t['cpu']:8.1f} ({t['wall']:6.0f})"

    for name, t, diff, method in rows:
        print(
            f"{name:<20}{cell(t['torch']):>18}{cell(t['fp32']):>18}{cell(t['int8']):>18}"
            f"{t['torch']['cpu'] / t['int8']['cpu']:>14.2f}x{diff:>11.4f}  {method}"
        )
    c, w = results["checkin"], results["worker"]
    t = c["ms"]
    vad_ms = ", ".join(f"{clip} {cell(ms)}" for clip, ms in results["vad"]["ms"].items())
    print(
        f"\nFull check-in (photo gate + landmarks + ResNet-50 on 3 crops + speech gate + voice "
        f"encoder + prosody + voice head on 5 s + burnout), end to end:\n"
        f"  PyTorch eager pipeline   {cell(t['torch'])} ms\n"
        f"  worker path, ORT         {cell(t['worker'])} ms   speed-up {c['speedup']:.2f}x "
        f"(wall {c['speedup_wall']:.2f}x)\n"
        f"  pure session.run only    {cell(t['session_run'])} ms   overhead "
        f"{c['overhead_ratio']:.3f} (wall {c['overhead_ratio_wall']:.3f})\n"
        f"  max |p worker - p other| fatigue int8 vs fp32 {c['max_prob_diff_fatigue']:.4f}, "
        f"voice ORT vs torch {c['max_prob_diff_voice']:.6f} (target <= 0.02); "
        f"burnout vs XGBoost {c['burnout_diff_vs_xgboost']:.5f}"
    )
    print("Voice features per clip (part of the worker path above), thread CPU ms (wall ms):")
    for clip, v in results["voice_features"].items():
        m = v["ms"]
        print(
            f"  {clip:>4}: encoder PyTorch {cell(m['encoder_torch'])}, ORT "
            f"{cell(m['encoder_ort'])} ({v['encoder_speedup']:.2f}x, {v['partials']} partials, "
            f"|diff| {v['encoder_max_abs_diff']:.1e}); mel {cell(m['mel'])}; prosody "
            f"{cell(m['prosody'])}; whole analysis incl. speech gate {cell(m['analysis'])}"
        )
    print(
        f"Speech detector (Silero VAD, part of the worker path above), per clip: {vad_ms} ms\n"
        f"Photo gate (face detection + 468 landmarks + checks + eye crops, part of the worker "
        f"path above): {cell(results['face']['ms']['gate + landmarks + crops'])} ms\n"
        f"Worker process (torch imported: {w['torch_imported']}):\n"
        f"  start-up (interpreter + imports + model sessions) {w['startup_s']:.2f} s wall, "
        f"{w['startup_cpu_s']:.2f} s CPU (target <= 3)\n"
        f"  RSS with all models loaded {w['rss_loaded_mb']:.0f} MB, after scoring a 10 s clip "
        f"{w['rss_after_10s_clip_mb']:.0f} MB, peak {w['peak_rss_mb']:.0f} MB (target <= 600)\n"
        f"Load average {results['load_average_at_start'][0]:.1f} at start, "
        f"{results['load_average_at_end'][0]:.1f} at end; total {results['total_s']:.0f} s"
    )


if __name__ == "__main__":
    main()
