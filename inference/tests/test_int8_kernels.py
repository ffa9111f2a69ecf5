"""Exact int8 kernels where the CPU's fast ones saturate, and only there; 7-bit weights make
the fast ones exact everywhere."""

import hashlib

import numpy as np
import pytest

from inference import sessions

AVX2_ONLY = frozenset({"sse4_2", "avx2", "fma"})
AVX512_WITHOUT_VNNI = frozenset({"avx2", "avx512f", "avx512bw", "avx512vl"})
AVX512_VNNI = frozenset({"avx2", "avx512f", "avx512bw", "avx512_vnni"})
AVX_VNNI = frozenset({"avx2", "avx_vnni"})


@pytest.mark.parametrize(
    ("machine", "flags", "exact"),
    [
        ("x86_64", AVX2_ONLY, True),  # this project's AMD EPYC test machine
        ("x86_64", AVX512_WITHOUT_VNNI, True),
        ("x86_64", AVX512_VNNI, False),  # Intel Xeon since Cascade Lake
        ("x86_64", AVX_VNNI, False),  # Alder Lake and later desktop CPUs
        ("aarch64", frozenset(), False),  # ARM sums int8 dot products in 32 bits
    ],
)
def test_exact_kernels_are_chosen_where_the_fast_ones_saturate(machine, flags, exact):
    assert sessions.exact_int8_kernels_needed(setting="auto", machine=machine, flags=flags) is exact


def test_exact_kernels_where_the_flags_cannot_be_read(monkeypatch):
    monkeypatch.setattr(sessions, "cpu_flags", lambda: None)
    assert sessions.exact_int8_kernels_needed(setting="auto", machine="x86_64") is True


@pytest.mark.parametrize(("setting", "exact"), [("on", True), ("off", False), ("ON", True)])
def test_the_setting_overrides_the_detection(setting, exact):
    for flags in (AVX2_ONLY, AVX512_VNNI):
        assert (
            sessions.exact_int8_kernels_needed(setting=setting, machine="x86_64", flags=flags)
            is exact
        )


def uses_exact_kernels(options) -> bool:
    try:
        return options.get_session_config_entry(sessions.X64_QUANT_PRECISION) == "1"
    except RuntimeError:  # not set
        return False


def test_this_machines_sessions_follow_the_detection(settings):
    settings.ORT_EXACT_INT8 = "auto"
    assert uses_exact_kernels(sessions.session_options()) is sessions.exact_int8_kernels_needed()
    assert not uses_exact_kernels(sessions.session_options(exact_int8=False))
    settings.ORT_EXACT_INT8 = "off"
    assert not uses_exact_kernels(sessions.session_options())


def qdq_conv(weight: int) -> bytes:
    """A QDQ int8 convolution (u8 activations, per-channel s8 weights all equal to ``weight``)
    that ONNX Runtime fuses into one integer convolution: with an input of ones every pair of
    products is as large as it gets."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    cin, cout = 64, 8
    initializers = [
        numpy_helper.from_array(np.array(1 / 255, np.float32), "xs"),
        numpy_helper.from_array(np.array(0, np.uint8), "xz"),
        numpy_helper.from_array(np.full((cout, cin, 3, 3), weight, np.int8), "w"),
        numpy_helper.from_array(np.full((cout,), 0.01, np.float32), "ws"),
        numpy_helper.from_array(np.zeros((cout,), np.int8), "wz"),
        numpy_helper.from_array(np.array(5.0, np.float32), "ys"),
        numpy_helper.from_array(np.array(0, np.uint8), "yz"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], axis=0),
        helper.make_node("Conv", ["xd", "wd"], ["y"], pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["y", "ys", "yz"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, 8, 8])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, cout, 8, 8])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model.SerializeToString()


def fast_and_exact(model: bytes) -> tuple[np.ndarray, np.ndarray]:
    ones = {"x": np.ones((1, 64, 8, 8), np.float32)}
    fast = sessions.new_session(model, exact_int8=False).run(None, ones)[0]
    exact = sessions.new_session(model, exact_int8=True).run(None, ones)[0]
    return fast, exact


def test_seven_bit_weights_are_exact_with_the_fast_kernels(settings):
    settings.ORT_EXACT_INT8 = "on"  # exact_int8=True asks for them; "on" grants it anywhere
    fast, exact = fast_and_exact(qdq_conv(63))
    np.testing.assert_array_equal(fast, exact)
    assert exact.max() == pytest.approx(365.0)  # 576 products of 1.0 x 0.63, in steps of 5


def test_full_range_weights_saturate_the_fast_kernels_where_the_cpu_needs_exact_ones(settings):
    if not sessions.exact_int8_kernels_needed(setting="auto"):
        pytest.skip("This CPU's fast int8 kernels sum in 32 bits (VNNI or not x86).")
    settings.ORT_EXACT_INT8 = "on"
    fast, exact = fast_and_exact(qdq_conv(127))
    assert exact.max() == pytest.approx(730.0)
    assert fast.max() < 0.6 * exact.max()  # pairs of products clipped at 32,767


def test_a_registered_model_with_seven_bit_weights_gets_the_fast_kernels(tmp_path, settings):
    settings.ORT_EXACT_INT8 = "on"
    path = tmp_path / "conv.onnx"
    path.write_bytes(qdq_conv(63))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    def model(name: str) -> sessions.ModelFile:
        return sessions.ModelFile(name, path, digest, "1", refusal=lambda *a: "refused")

    reduced = sessions.get(
        model("reduced"),
        metadata=lambda: {"quantization": sessions.REDUCED_RANGE_QUANTIZATION},
    )
    full = sessions.get(model("full"), metadata=lambda: {"quantization": "static-qdq-int8"})
    assert not uses_exact_kernels(reduced.session.get_session_options())
    assert uses_exact_kernels(full.session.get_session_options())
