"""Tiny but real ONNX models for tests: built with ``onnx.helper`` in milliseconds, no torch.

Each model computes a simple, deterministic function of its input so tests can reason about
the result:

- fatigue: logits = W . mean RGB of the (normalised) image + b; brighter images lean "fatigued";
- voice: a head over two voice features (median pitch, first embedding dimension), so the
  real speech gate, voice encoder and prosody run; higher voices lean "stressed";
- burnout: burn rate = clip(0.09 * mental_fatigue + 0.02 * resource_allocation
  + 0.05 * designation - 0.05 * wfh_available, 0, 1), missing values counting as 0.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inference import burnout_features

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto, TensorProto, ValueInfoProto

    from inference.models import ModelVersion

TINY_VERSION = "tiny-1"
BURNOUT_FEATURES = list(burnout_features.BURNOUT_FEATURES)
BURNOUT_ENCODING = burnout_features.BURNOUT_FEATURE_ENCODING
BURNOUT_WEIGHTS = [0.0, 0.05, 0.0, -0.05, 0.02, 0.09]


def _save(model: ModelProto, path: Path) -> None:
    import onnx

    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())


def _tensor(name: str, array: np.ndarray) -> TensorProto:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def _model(
    nodes: Sequence[NodeProto],
    name: str,
    inputs: Sequence[ValueInfoProto],
    outputs: Sequence[ValueInfoProto],
    initializers: Sequence[TensorProto],
) -> ModelProto:
    from onnx import helper

    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def fatigue_graph() -> ModelProto:
    from onnx import TensorProto, helper

    weights = np.array([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    return _model(
        [
            helper.make_node("GlobalAveragePool", ["pixel_values"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], transB=1),
        ],
        "tiny_fatigue",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        [_tensor("W", weights), _tensor("B", np.array([0.0, 0.0]))],
    )


VOICE_FEATURES = ["f0_median_st", "embedding_0"]
VOICE_WEIGHTS = [
    0.25,
    1.0,
]  # P(stressed) = sigmoid(0.25 * (median pitch in st re 100 Hz - 10) + e0)


def voice_graph() -> ModelProto:
    from onnx import TensorProto, helper

    count = len(VOICE_FEATURES)
    return _model(
        [
            helper.make_node("MatMul", ["features", "W"], ["raw"]),
            helper.make_node("Add", ["raw", "B"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["p_stressed"]),
            helper.make_node("Sub", ["one", "p_stressed"], ["p_calm"]),
            helper.make_node("Concat", ["p_calm", "p_stressed"], ["probabilities"], axis=1),
        ],
        "tiny_voice",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", count])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2])],
        [
            _tensor("W", np.array(VOICE_WEIGHTS).reshape(count, 1)),
            _tensor("B", np.array([-2.5])),
            _tensor("one", np.array([1.0])),
        ],
    )


def burnout_graph() -> ModelProto:
    from onnx import TensorProto, helper

    count = len(BURNOUT_FEATURES)
    return _model(
        [
            helper.make_node("IsNaN", ["features"], ["missing"]),
            helper.make_node("Where", ["missing", "zero", "features"], ["filled"]),
            helper.make_node("MatMul", ["filled", "W"], ["raw"]),
            helper.make_node("Add", ["raw", "B"], ["biased"]),
            helper.make_node("Clip", ["biased", "lo", "hi"], ["variable"]),
        ],
        "tiny_burnout",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", count])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["batch", 1])],
        [
            _tensor("zero", np.array(0.0)),
            _tensor("W", np.array(BURNOUT_WEIGHTS).reshape(count, 1)),
            _tensor("B", np.array([0.0])),
            _tensor("lo", np.array(0.0)),
            _tensor("hi", np.array(1.0)),
        ],
    )


def _two_class_head(
    *, input_name: str, output_name: str, labels: tuple[str, str]
) -> dict[str, Any]:
    """Sidecar fields of a two-class model scored by the probability of its second label."""
    unscored, scored = labels
    return {
        "input_name": input_name,
        "output_name": output_name,
        "labels": [unscored, scored],
        "score_weights": {unscored: 0.0, scored: 1.0},
        "output": "probabilities",
    }


def _sidecar(kind: str, version: str, onnx_path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "format_version": 1,
        "kind": kind,
        "version": version,
        "onnx_file": onnx_path.name,
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "metrics": {"note": "tiny test model, not trained"},
        "model_card": None,
        "training": {"note": "built by inference.testing"},
    }
    if kind == "fatigue":
        meta |= {
            **_two_class_head(
                input_name="pixel_values", output_name="logits", labels=("alert", "fatigued")
            ),
            # P(yawn) = the CNN's face score, P(eyes closed) = its mean eye score.
            "pipeline": "face-landmarks-v1",
            "combiner": {
                "yawn": {"coef": [0.0, 1.0], "intercept": 0.0},
                "eyes": {"coef": [1.0], "intercept": 0.0},
            },
            "preprocessing": {
                "image_size": 224,
                "resize": 256,
                "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225],
            },
        }
    elif kind == "voice":
        meta |= {
            **_two_class_head(
                input_name="features", output_name="probabilities", labels=("calm", "stressed")
            ),
            "output_is_probability": True,
            # The production path: speech gate, voice encoder and prosody, then this head.
            "pipeline": "voice-features-v1",
            "features": VOICE_FEATURES,
            "preprocessing": {
                "sample_rate": 16000,
                "max_seconds": 8,
                "min_speech_seconds": 1.0,
            },
        }
    else:
        meta |= {
            "input_name": "features",
            "output_name": "variable",
            "features": BURNOUT_FEATURES,
            "feature_encoding": BURNOUT_ENCODING,
            "output": "regression",
        }
    return meta


GRAPHS = {"fatigue": fatigue_graph, "voice": voice_graph, "burnout": burnout_graph}


def write_tiny_model(folder: Path, kind: str, *, version: str = TINY_VERSION) -> Path:
    """Write ``<folder>/<kind>/<kind>-<version>.onnx`` and its sidecar; returns the ONNX path."""
    onnx_path = Path(folder) / kind / f"{kind}-{version}.onnx"
    _save(GRAPHS[kind](), onnx_path)
    sidecar = _sidecar(kind, version, onnx_path)
    onnx_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2))
    return onnx_path


def write_tiny_models(folder: Path, *, version: str = TINY_VERSION) -> dict[str, Path]:
    """All three kinds under ``folder``; returns kind -> ONNX path."""
    return {kind: write_tiny_model(folder, kind, version=version) for kind in GRAPHS}


def register_tiny_models(
    folder: Path, *, version: str = TINY_VERSION, activate: bool = True
) -> dict[str, ModelVersion]:
    """Write and register all three tiny models; returns kind -> ModelVersion."""
    from inference.registry import register_model_file

    paths = write_tiny_models(folder, version=version)
    return {kind: register_model_file(path, activate=activate) for kind, path in paths.items()}
