"""The benchmarked models: random-initialised ResNets and a base-sized Wav2Vec2 from
transformers configs, their ONNX export and int8 variants, and an XGBoost burnout model on
synthetic rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.inference.common import VOICE_LABELS

if TYPE_CHECKING:
    import torch
    import xgboost
    from transformers import ResNetForImageClassification, Wav2Vec2ForSequenceClassification


def resnet(name: str) -> ResNetForImageClassification:
    import torch
    from transformers import ResNetConfig, ResNetForImageClassification

    torch.manual_seed(0)
    # Two labels (the default number) throughout.
    if name == "ResNet-18":
        config = ResNetConfig(
            layer_type="basic", depths=[2, 2, 2, 2], hidden_sizes=[64, 128, 256, 512]
        )
    else:
        config = ResNetConfig(
            layer_type="bottleneck",
            depths=[3, 4, 6, 3],
            hidden_sizes=[256, 512, 1024, 2048],
        )
    return ResNetForImageClassification(config).eval()


def wav2vec2() -> Wav2Vec2ForSequenceClassification:
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    torch.manual_seed(0)
    config = Wav2Vec2Config()  # the base-sized defaults
    config.num_labels = len(VOICE_LABELS)
    return Wav2Vec2ForSequenceClassification(config).eval()


def export(
    model: torch.nn.Module,
    example: np.ndarray,
    path: Path,
    input_name: str,
    dynamic_axis: int | None,
) -> None:
    """The model's logits alone, exported by dynamo from ``example`` (with one dynamic axis)."""
    import torch

    from training.torch_utils import LogitsOnly

    axis_name = "batch" if dynamic_axis == 0 else "samples"
    # Given by position: the wrapper takes the input as its one argument.
    dynamic = ({dynamic_axis: axis_name},) if dynamic_axis is not None else None
    with torch.no_grad():
        program = torch.onnx.export(
            LogitsOnly(model, input_name).eval(),
            (torch.from_numpy(example),),
            input_names=[input_name],
            output_names=["logits"],
            dynamo=True,
            dynamic_shapes=dynamic,
            external_data=False,
        )
    if program is None:
        raise RuntimeError(f"The dynamo exporter returned no program for {path.name}.")
    program.save(str(path), external_data=False)


def pre_processed_path(fp32: Path) -> Path:
    """Where the quantizers keep ``fp32`` after ONNX Runtime's pre-processing."""
    return fp32.with_name(fp32.stem + "-pre.onnx")


def quantize_cnn(fp32: Path, int8: Path, calibration: list[np.ndarray]) -> None:
    from onnxruntime.quantization import QuantType

    from training import quantization

    prepared = pre_processed_path(fp32)
    quantization.pre_process(fp32, prepared)
    quantization.quantize_static_qdq(
        prepared,
        int8,
        input_name="pixel_values",
        calibration=calibration,
        activation_type=QuantType.QUInt8,
    )


def quantize_conv_front_end(prepared: Path, out: Path, calibration: list[np.ndarray]) -> None:
    """Static QDQ int8 for the Conv layers only (Wav2Vec2's feature encoder is a CNN)."""
    from onnxruntime.quantization import QuantType

    from training import quantization

    quantization.quantize_static_qdq(
        prepared,
        out,
        input_name="input_values",
        calibration=calibration,
        activation_type=QuantType.QUInt8,
        op_types=["Conv"],
    )


def quantize_transformer(fp32: Path, int8: Path) -> None:
    from training import quantization

    prepared = pre_processed_path(fp32)
    if not prepared.exists() or prepared.stat().st_mtime < fp32.stat().st_mtime:
        quantization.pre_process(fp32, prepared)
    quantization.quantize_dynamic_int8(
        prepared,
        int8,
        op_types=["MatMul", "Gemm"],
        # Only weight MatMuls: quantising activation x activation products (attention) is slower.
        extra_options={"MatMulConstBOnly": True},
    )


def burnout_model(work: Path) -> tuple[xgboost.XGBRegressor, Path]:
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


def write_sidecar(path: Path, kind: str, extra: dict[str, Any]) -> None:
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
