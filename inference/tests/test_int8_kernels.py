"""Exact int8 kernels where the CPU's fast ones saturate, and only there."""

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
        ("x86_64", None, True),  # flags unreadable: the safe choice
        ("aarch64", frozenset(), False),  # ARM sums int8 dot products in 32 bits
    ],
)
def test_exact_kernels_are_chosen_where_the_fast_ones_saturate(machine, flags, exact):
    assert sessions.exact_int8_kernels_needed(setting="auto", machine=machine, flags=flags) is exact


@pytest.mark.parametrize(("setting", "exact"), [("on", True), ("off", False), ("ON", True)])
def test_the_setting_overrides_the_detection(setting, exact):
    for flags in (AVX2_ONLY, AVX512_VNNI):
        assert (
            sessions.exact_int8_kernels_needed(setting=setting, machine="x86_64", flags=flags)
            is exact
        )


def test_this_machines_sessions_follow_the_detection(settings):
    settings.ORT_EXACT_INT8 = "auto"
    options = sessions.session_options()
    try:
        entry = options.get_session_config_entry(sessions.X64_QUANT_PRECISION)
    except RuntimeError:
        entry = ""
    assert (entry == "1") is sessions.exact_int8_kernels_needed()
    settings.ORT_EXACT_INT8 = "off"
    options = sessions.session_options()
    try:
        entry = options.get_session_config_entry(sessions.X64_QUANT_PRECISION)
    except RuntimeError:
        entry = ""
    assert entry != "1"
