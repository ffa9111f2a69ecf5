"""Convert the small TFLite vision models MediaPipe ships into ONNX, so the workers run every
model on ONNX Runtime and never carry MediaPipe, TensorFlow or protobuf 4.

Only the operators the face detector and the face-landmark model use are supported (2-D
convolutions, depthwise convolutions, PReLU, ReLU, additions, max pooling, padding, reshapes,
concatenation and float16 weights); anything else raises ``UnsupportedModel``. The ONNX graph
takes the same NHWC float32 input as the TFLite model and gives the same outputs; inside, 4-D
activations run in ONNX's NCHW order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
_OPERATOR_NAMES = {
    value: name for name, value in vars(tflite.BuiltinOperator).items() if not name.startswith("_")
}
_TFLITE_DTYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
}
_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]


class UnsupportedModel(ValueError):
    """The TFLite model uses an operator or layout this converter does not handle."""


@dataclass
class _Graph:
    model: tflite.Model
    subgraph: tflite.SubGraph
    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    # TFLite tensor index -> (ONNX value name, True when the value is NCHW)
    values: dict[int, tuple[str, bool]] = field(default_factory=dict)
    constants: dict[int, np.ndarray] = field(default_factory=dict)
    counter: int = 0

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}__{self.counter}"

    def tensor(self, index: int) -> tflite.Tensor:
        return self.subgraph.Tensors(index)

    def shape(self, index: int) -> list[int]:
        tensor = self.tensor(index)
        return tensor.ShapeAsNumpy().tolist() if tensor.ShapeLength() else []

    def buffer(self, index: int) -> np.ndarray | None:
        if index in self.constants:
            return self.constants[index]
        tensor = self.tensor(index)
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        if isinstance(data, int) or data is None or len(data) == 0:
            return None
        dtype = _TFLITE_DTYPES.get(tensor.Type())
        if dtype is None:
            raise UnsupportedModel(f"tensor type {tensor.Type()} is not supported")
        return np.frombuffer(data.tobytes(), dtype=dtype).reshape(self.shape(index))

    def constant(self, array: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def value(self, index: int, *, nchw: bool) -> str:
        """The ONNX name of tensor ``index`` in the wanted layout (transposing if needed)."""
        name, is_nchw = self.values[index]
        if is_nchw == nchw or len(self.shape(index)) != 4:
            return name
        out = self.fresh(f"{name}_{'nchw' if nchw else 'nhwc'}")
        perm = _NHWC_TO_NCHW if nchw else _NCHW_TO_NHWC
        self.nodes.append(helper.make_node("Transpose", [name], [out], perm=perm))
        self.values[index] = (name, is_nchw)  # keep the original; callers reuse ``out``
        return out

    def output(self, index: int, *, nchw: bool) -> str:
        name = self.fresh(self.tensor(index).Name().decode().replace("/", "_"))
        self.values[index] = (name, nchw and len(self.shape(index)) == 4)
        return name


def _options(op: tflite.Operator, options_class: type) -> Any:
    """The operator's builtin options read as ``options_class`` (one of tflite's generated
    tables, untyped), or None when it has none."""
    table = op.BuiltinOptions()
    if table is None:
        return None
    options = options_class()
    options.Init(table.Bytes, table.Pos)
    return options


def _activation(graph: _Graph, name: str, code: int) -> str:
    """Apply a fused activation to ``name``; returns the activated value's name."""
    if code == tflite.ActivationFunctionType.NONE:
        return name
    out = graph.fresh(f"{name}_act")
    if code == tflite.ActivationFunctionType.RELU:
        graph.nodes.append(helper.make_node("Relu", [name], [out]))
    elif code == tflite.ActivationFunctionType.RELU6:
        low = graph.constant(np.array(0.0, np.float32), "zero")
        high = graph.constant(np.array(6.0, np.float32), "six")
        graph.nodes.append(helper.make_node("Clip", [name, low, high], [out]))
    else:
        raise UnsupportedModel(f"fused activation {code} is not supported")
    return out


def _padding(padding: int) -> str:
    return "SAME_UPPER" if padding == tflite.Padding.SAME else "VALID"


def _convolution(graph: _Graph, op: tflite.Operator, *, depthwise: bool) -> None:
    source, weights_index = op.Inputs(0), op.Inputs(1)
    weights = graph.buffer(weights_index)
    if weights is None:
        raise UnsupportedModel("convolution weights must be constant")
    weights = weights.astype(np.float32)
    if depthwise:
        options = _options(op, tflite.DepthwiseConv2DOptions)
        channels = graph.shape(source)[3]
        kernel = weights[0].transpose(2, 0, 1)[:, np.newaxis]  # [1,H,W,C*m] -> [C*m,1,H,W]
        group = channels
    else:
        options = _options(op, tflite.Conv2DOptions)
        kernel = weights.transpose(0, 3, 1, 2)  # [O,H,W,I] -> [O,I,H,W]
        group = 1
    inputs = [graph.value(source, nchw=True), graph.constant(kernel, "kernel")]
    if op.InputsLength() > 2 and op.Inputs(2) >= 0:
        bias = graph.buffer(op.Inputs(2))
        if bias is not None:
            inputs.append(graph.constant(bias.astype(np.float32), "bias"))
    conv = graph.fresh("conv")
    graph.nodes.append(
        helper.make_node(
            "Conv",
            inputs,
            [conv],
            kernel_shape=list(kernel.shape[2:]),
            strides=[options.StrideH(), options.StrideW()],
            dilations=[options.DilationHFactor(), options.DilationWFactor()],
            auto_pad=_padding(options.Padding()),
            group=group,
        )
    )
    _activated_output(graph, op, conv, options.FusedActivationFunction())


def _activated_output(graph: _Graph, op: tflite.Operator, name: str, code: int) -> None:
    """``name`` through the fused activation ``code``, as the operator's (NCHW) output."""
    result = _activation(graph, name, code)
    graph.nodes.append(
        helper.make_node("Identity", [result], [graph.output(op.Outputs(0), nchw=True)])
    )


def _first_input_node(
    graph: _Graph, op: tflite.Operator, op_type: str, *constants: str, nchw: bool, **attributes: Any
) -> None:
    """One ONNX node from the operator's first input (then ``constants``) to its output, both
    in the NCHW or the NHWC layout."""
    graph.nodes.append(
        helper.make_node(
            op_type,
            [graph.value(op.Inputs(0), nchw=nchw), *constants],
            [graph.output(op.Outputs(0), nchw=nchw)],
            **attributes,
        )
    )


def _convert_operator(graph: _Graph, op: tflite.Operator) -> None:
    code = graph.model.OperatorCodes(op.OpcodeIndex())
    name = _OPERATOR_NAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
    if name == "DEQUANTIZE":
        weights = graph.buffer(op.Inputs(0))
        if weights is None:
            raise UnsupportedModel("only constant tensors can be dequantized")
        graph.constants[op.Outputs(0)] = weights.astype(np.float32)
    elif name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        _convolution(graph, op, depthwise=name == "DEPTHWISE_CONV_2D")
    elif name == "PRELU":
        alpha = graph.buffer(op.Inputs(1))
        if alpha is None:
            raise UnsupportedModel("PReLU slopes must be constant")
        slope = graph.constant(alpha.astype(np.float32).reshape(-1, 1, 1), "slope")
        _first_input_node(graph, op, "PRelu", slope, nchw=True)
    elif name == "RELU":
        _first_input_node(graph, op, "Relu", nchw=True)
    elif name == "ADD":
        options = _options(op, tflite.AddOptions)
        total = graph.fresh("add")
        graph.nodes.append(
            helper.make_node(
                "Add",
                [graph.value(op.Inputs(0), nchw=True), graph.value(op.Inputs(1), nchw=True)],
                [total],
            )
        )
        _activated_output(graph, op, total, options.FusedActivationFunction() if options else 0)
    elif name == "MAX_POOL_2D":
        options = _options(op, tflite.Pool2DOptions)
        _first_input_node(
            graph,
            op,
            "MaxPool",
            nchw=True,
            kernel_shape=[options.FilterHeight(), options.FilterWidth()],
            strides=[options.StrideH(), options.StrideW()],
            auto_pad=_padding(options.Padding()),
        )
    elif name == "PAD":
        paddings = graph.buffer(op.Inputs(1))
        if paddings is None or paddings.shape != (4, 2):
            raise UnsupportedModel("only constant 4-D paddings are supported")
        nchw = paddings[_NHWC_TO_NCHW]
        pads = graph.constant(np.concatenate([nchw[:, 0], nchw[:, 1]]).astype(np.int64), "pads")
        _first_input_node(graph, op, "Pad", pads, nchw=True, mode="constant")
    elif name == "RESHAPE":
        target = graph.constant(np.array(graph.shape(op.Outputs(0)), np.int64), "shape")
        _first_input_node(graph, op, "Reshape", target, nchw=False)
    elif name == "CONCATENATION":
        options = _options(op, tflite.ConcatenationOptions)
        inputs = [graph.value(op.Inputs(i), nchw=False) for i in range(op.InputsLength())]
        graph.nodes.append(
            helper.make_node(
                "Concat", inputs, [graph.output(op.Outputs(0), nchw=False)], axis=options.Axis()
            )
        )
    else:
        raise UnsupportedModel(f"operator {name} is not supported")


def tflite_to_onnx(data: bytes, *, name: str) -> onnx.ModelProto:
    """The ONNX equivalent of a TFLite flatbuffer (NHWC float32 input, same outputs)."""
    model = tflite.Model.GetRootAsModel(data, 0)
    if model.SubgraphsLength() != 1:
        raise UnsupportedModel("only single-graph models are supported")
    graph = _Graph(model=model, subgraph=model.Subgraphs(0))
    inputs = []
    for position in range(graph.subgraph.InputsLength()):
        index = graph.subgraph.Inputs(position)
        input_name = graph.tensor(index).Name().decode()
        inputs.append(
            helper.make_tensor_value_info(input_name, TensorProto.FLOAT, graph.shape(index))
        )
        graph.values[index] = (input_name, False)
    for position in range(graph.subgraph.OperatorsLength()):
        _convert_operator(graph, graph.subgraph.Operators(position))
    outputs = []
    for position in range(graph.subgraph.OutputsLength()):
        index = graph.subgraph.Outputs(position)
        output_name = graph.tensor(index).Name().decode()
        graph.nodes.append(
            helper.make_node("Identity", [graph.value(index, nchw=False)], [output_name])
        )
        outputs.append(
            helper.make_tensor_value_info(output_name, TensorProto.FLOAT, graph.shape(index))
        )
    onnx_graph = helper.make_graph(graph.nodes, name, inputs, outputs, graph.initializers)
    converted = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="resonance.training.tflite_onnx",
    )
    converted.ir_version = 8
    onnx.checker.check_model(converted)
    return converted
