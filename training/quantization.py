"""Int8 variants of exported ONNX models, for the trainers and the inference benchmark.

ONNX Runtime's quantization tools import ``onnx``, which the web and worker processes never
install: import this module only where a model is quantized.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from training import artifacts


class CalibrationInputs(CalibrationDataReader):
    """Feeds each calibration array, in order, to the model's one input."""

    def __init__(self, input_name: str, arrays: Iterable[np.ndarray]) -> None:
        self._feeds = iter([{input_name: array} for array in arrays])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def pre_process(fp32: Path, out: Path) -> None:
    """The shape inference and graph clean-up that static quantization expects."""
    quant_pre_process(str(fp32), str(out), skip_symbolic_shape=True)


def quantize_static_qdq(
    model: Path,
    out: Path,
    *,
    input_name: str,
    calibration: Iterable[np.ndarray],
    activation_type: QuantType,
    op_types: list[str] | None = None,
) -> None:
    """Static QDQ: per-channel int8 weights in 7 bits (``reduce_range``), activation ranges
    measured on ``calibration``; ``op_types`` limits it to those operators (by default every one
    it can quantize).

    7-bit weights keep each pair of u8 x s8 products inside 16 bits, so ONNX Runtime's fast
    kernels on x86 without VNNI (which add pairs in saturating 16-bit lanes) are exact and the
    slow exact ones are never needed (``inference.sessions.REDUCED_RANGE_QUANTIZATION``).
    """
    quantize_static(
        str(model),
        str(out),
        CalibrationInputs(input_name, calibration),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=op_types,
        per_channel=True,
        activation_type=activation_type,
        weight_type=QuantType.QInt8,
        reduce_range=True,
    )


def quantize_dynamic_int8(
    model: Path, out: Path, *, op_types: list[str], extra_options: dict[str, Any] | None = None
) -> None:
    """Dynamic quantization: int8 weights of ``op_types`` in 7 bits (``reduce_range``, as in
    ``quantize_static_qdq``), activations quantized at run time."""
    quantize_dynamic(
        str(model),
        str(out),
        op_types_to_quantize=op_types,
        weight_type=QuantType.QInt8,
        reduce_range=True,
        extra_options=extra_options,
    )


@contextmanager
def _written_atomically(out: Path) -> Iterator[Path]:
    """A temporary path to write the model to; renamed over ``out`` once complete."""
    tmp = out.with_name(f".{out.stem}.tmp.onnx")
    try:
        yield tmp
        artifacts.atomic_write_bytes(out, tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)


def static_int8_variant(
    fp32: Path, out: Path, *, input_name: str, calibration: list[np.ndarray]
) -> None:
    """The trainers' static variant: int8 weights and activations, QDQ, written atomically."""
    prepped = out.with_name(f".{out.stem}.pre.onnx")
    try:
        pre_process(fp32, prepped)
        with _written_atomically(out) as tmp:
            quantize_static_qdq(
                prepped,
                tmp,
                input_name=input_name,
                calibration=calibration,
                activation_type=QuantType.QInt8,
            )
    finally:
        prepped.unlink(missing_ok=True)


def dynamic_int8_matmul_variant(fp32: Path, out: Path) -> None:
    """The trainers' dynamic variant: int8 MatMul weights only, written atomically."""
    with _written_atomically(out) as tmp:
        quantize_dynamic_int8(fp32, tmp, op_types=["MatMul"])
