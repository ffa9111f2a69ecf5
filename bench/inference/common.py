"""What the benchmark's parts share: paths, settings, interleaved timing, small numerics and
ONNX Runtime sessions with the benchmark's thread settings."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypedDict, TypeVar

import numpy as np

from training.artifacts import OnnxSession

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / "results" / "inference"
SPEECH_DIR = ROOT / "inference" / "tests" / "fixtures" / "speech"
PORTRAIT = ROOT / "inference" / "tests" / "fixtures" / "astronaut.jpg"
STARTER_FATIGUE_SIDECAR = ROOT / "models" / "fatigue" / "fatigue-starter-2026.12.2.json"
STARTER_VOICE_SIDECAR = ROOT / "models" / "voice" / "voice-starter-2026.12.1.json"
VOICE_LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]

# The JSON document of one run (bench/results/inference/results.json).
Results = dict[str, Any]


@dataclass(frozen=True)
class Settings:
    work: Path  # exported models, the throw-away registry, results.json
    repeats: int
    threads: int  # torch and ONNX Runtime intra-op threads
    skip_export: bool  # reuse the models exported by an earlier run


class Timing(TypedDict):
    cpu: float  # median thread CPU ms
    wall: float  # median wall ms


class ReportRow(NamedTuple):
    """One line of the model table: PyTorch, fp32 and int8 timings of one input."""

    label: str
    ms: dict[str, Timing]  # "torch", "fp32", "int8"
    max_prob_diff: float  # int8 against fp32
    method: str  # how the int8 variant was quantized


Key = TypeVar("Key")


def setup_django(work: Path) -> None:
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


def compare(
    fns: Mapping[Key, Callable[[], object]], *, repeats: int, warmup: int = 1
) -> dict[Key, Timing]:
    """Median milliseconds per function, run interleaved so background load hits all alike.

    Returns name -> {"cpu": thread CPU ms, "wall": wall ms}. With one intra-op thread every
    backend computes on the calling thread, so thread CPU time is the latency on an idle core
    even when other jobs share the machine; wall time is kept for reference.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    cpu: dict[Key, list[float]] = {name: [] for name in fns}
    wall: dict[Key, list[float]] = {name: [] for name in fns}
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


def _exact_int8(path: Path) -> bool | None:
    """False for a model of this benchmark's own quantizing (no sidecar, or one saying 7-bit
    weights); None (the CPU decides) for a model whose sidecar says otherwise."""
    from inference.sessions import REDUCED_RANGE_QUANTIZATION

    sidecar = path.with_suffix(".json")
    if not sidecar.exists():
        return False
    quantization = json.loads(sidecar.read_text()).get("quantization")
    return False if quantization == REDUCED_RANGE_QUANTIZATION else None


def ort_session(path: Path, threads: int) -> OnnxSession:
    """A session with the server's options (``inference.sessions``) and ``threads``; the int8
    models this benchmark quantizes have 7-bit weights and never need the exact kernels, the
    shipped ones are taken as their sidecars say."""
    from inference.sessions import new_session

    session: OnnxSession = new_session(path, threads=threads, exact_int8=_exact_int8(path))
    return session
