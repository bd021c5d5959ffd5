"""The back-end choice for faked CPUs and installs (never timings), and this machine's probe."""

from __future__ import annotations

import pytest

from index.backends import (
    BACKENDS,
    BackendUnavailableError,
    CpuFeatures,
    available_backends,
    choose_backend,
    detect_cpu,
    resolve_backend,
)

WITH_OPENVINO = frozenset(BACKENDS)
TORCH_ONLY = frozenset({"torch-bf16", "torch-fp32"})
XEON_AMX = CpuFeatures("Intel Xeon", avx2=True, avx512=True, avx512_bf16=True, amx=True, vnni=True)
EPYC_ZEN4 = CpuFeatures("AMD EPYC 9004", avx2=True, avx512=True, avx512_bf16=True, vnni=True)
EPYC_ZEN3 = CpuFeatures("AMD EPYC 7003", avx2=True)
SKYLAKE = CpuFeatures("Intel Xeon Skylake", avx2=True, avx512=True)  # AVX-512 without bf16
OLD = CpuFeatures("old laptop")


@pytest.mark.parametrize(
    ("cpu", "available", "expected"),
    [
        (XEON_AMX, WITH_OPENVINO, "openvino-bf16"),
        (EPYC_ZEN4, WITH_OPENVINO, "openvino-bf16"),
        (EPYC_ZEN3, WITH_OPENVINO, "openvino-fp32"),
        (SKYLAKE, WITH_OPENVINO, "openvino-fp32"),
        (OLD, WITH_OPENVINO, "openvino-fp32"),
        (XEON_AMX, TORCH_ONLY, "torch-bf16"),
        (EPYC_ZEN3, TORCH_ONLY, "torch-fp32"),
    ],
)
def test_auto_picks_bf16_only_where_the_cpu_computes_it_natively(
    cpu: CpuFeatures, available: frozenset[str], expected: str
) -> None:
    assert choose_backend(cpu, available).backend == expected  # type: ignore[arg-type]


def test_the_reason_names_the_cpu_and_what_decided() -> None:
    assert "AMX computes bf16 natively" in choose_backend(XEON_AMX, WITH_OPENVINO).reason
    reason = choose_backend(EPYC_ZEN3, TORCH_ONLY).reason
    assert "AMD EPYC 7003" in reason and "no native bf16" in reason and "OpenVINO is not installed" in reason
    line = choose_backend(EPYC_ZEN4, WITH_OPENVINO).describe()
    assert line.startswith("embedding back end: openvino-bf16 (") and "AVX512-BF16" in line


def test_an_explicit_back_end_is_kept_whatever_the_cpu() -> None:
    choice = resolve_backend("torch-bf16", EPYC_ZEN3, WITH_OPENVINO)
    assert choice.backend == "torch-bf16" and choice.reason == "set by embedding.backend"
    assert resolve_backend("auto", EPYC_ZEN3, WITH_OPENVINO).backend == "openvino-fp32"


def test_an_explicit_openvino_back_end_without_openvino_says_what_to_install() -> None:
    with pytest.raises(BackendUnavailableError, match="pip install openvino"):
        resolve_backend("openvino-fp32", EPYC_ZEN3, TORCH_ONLY)
    with pytest.raises(BackendUnavailableError, match="unknown embedding back end 'onnx-int8'"):
        resolve_backend("onnx-int8", EPYC_ZEN3, WITH_OPENVINO)


def test_cpu_description_lists_what_the_cpu_has_and_lacks() -> None:
    assert EPYC_ZEN4.describe() == "AMD EPYC 9004 (AVX2, AVX-512, AVX512-BF16, VNNI; no AMX)"
    assert EPYC_ZEN3.describe() == "AMD EPYC 7003 (AVX2; no AVX512-BF16, no AMX)"


def test_this_machine_is_probed_and_its_runtimes_found() -> None:
    cpu = detect_cpu()
    assert cpu.model
    assert cpu.native_bf16 == (cpu.amx or cpu.avx512_bf16)
    assert {"torch-fp32", "torch-bf16", "openvino-fp32"} <= available_backends()  # openvino is a dependency


def test_a_cap_on_onednns_instruction_set_makes_bf16_emulated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    capped = detect_cpu()
    assert not capped.native_bf16 and not capped.avx512
    assert choose_backend(capped, WITH_OPENVINO).backend == "openvino-fp32"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    assert not detect_cpu().amx


def test_linux_flags_and_torchs_probes_agree_on_this_machine() -> None:
    from index.backends import _features_from_flags, _features_from_torch, _proc_cpuinfo

    _, flags = _proc_cpuinfo()
    if not flags:
        pytest.skip("no /proc/cpuinfo flags on this OS: torch's probes are the only source")
    assert _features_from_flags(flags) == _features_from_torch()


def test_features_are_read_from_linux_cpu_flags() -> None:
    from index.backends import _features_from_flags

    zen3 = frozenset("fpu sse2 avx avx2 fma bmi2".split())
    sapphire = frozenset("avx2 avx512f avx512_bf16 avx512_vnni amx_bf16 amx_tile amx_int8".split())
    assert _features_from_flags(zen3) == {"avx2": True, "avx512": False, "avx512_bf16": False, "amx": False,
                                          "vnni": False}
    assert all(_features_from_flags(sapphire).values())
