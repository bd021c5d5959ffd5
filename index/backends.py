"""Which embedding back end runs here: the CPU's features, the installed runtimes, and the choice.

Back ends compute the same model in different precisions and runtimes; their vectors agree to a
cosine of 0.999 or better, so an index built by one is queried by any other (only a different
model is refused). Measured figures are in docs/performance.md; in short:

- bf16 is fast only where the CPU computes it natively (AMX, or AVX512-BF16); elsewhere it is
  emulated and is the slowest choice by far (4-5x slower than fp32 on an AVX2-only EPYC);
- OpenVINO ran the same precision 10-27% faster than torch on every CPU measured, and equal on AMX;
- int8 is not offered: it was no faster than bf16 on AMX, no faster than fp32 without VNNI, and
  dynamic int8 lost quality (mean cosine 0.94 to fp32).

The choice takes the facts as arguments, so tests fake any machine.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

Backend = Literal["openvino-bf16", "openvino-fp32", "torch-bf16", "torch-fp32"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)
BackendSetting = Literal["auto", "openvino-bf16", "openvino-fp32", "torch-bf16", "torch-fp32"]
AUTO = "auto"


class BackendUnavailableError(RuntimeError):
    """An explicitly configured back end cannot run here (its runtime is not installed)."""


@dataclass(frozen=True)
class CpuFeatures:
    """What the processor can do that matters for the embedding back end."""

    model: str
    avx2: bool = False
    avx512: bool = False
    avx512_bf16: bool = False
    amx: bool = False
    vnni: bool = False

    @property
    def native_bf16(self) -> bool:
        """bf16 arithmetic in hardware (AMX tiles or AVX512-BF16 dot products), not emulated."""
        return self.amx or self.avx512_bf16

    def describe(self) -> str:
        """One line, e.g. 'AMD EPYC (AVX2, AVX-512, AVX512-BF16, VNNI; no AMX)'."""
        named = {
            "AVX2": self.avx2,
            "AVX-512": self.avx512,
            "AVX512-BF16": self.avx512_bf16,
            "AMX": self.amx,
            "VNNI": self.vnni,
        }
        has = [name for name, present in named.items() if present]
        lacks = [name for name in ("AVX512-BF16", "AMX") if not named[name]]
        return f"{self.model} ({', '.join(has) or 'no AVX2'}{'; no ' + ', no '.join(lacks) if lacks else ''})"


@dataclass(frozen=True)
class BackendChoice:
    """The back end that runs, and why (shown by `qa ingest` and the UI at start)."""

    backend: Backend
    reason: str

    def describe(self) -> str:
        return f"embedding back end: {self.backend} ({self.reason})"


def detect_cpu() -> CpuFeatures:
    """This machine's CPU: the kernel's flags in /proc/cpuinfo on Linux, else torch's cpuinfo probes.

    Reading the flags keeps torch out of processes that embed with OpenVINO (a second of start-up).
    A cap on oneDNN's instruction set (ONEDNN_MAX_CPU_ISA, e.g. AVX2) hides what lies above it: the
    math libraries then emulate bf16, so it is not native for this process.
    """
    cap = (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "ALL").upper()
    model, flags = _proc_cpuinfo()
    found = _features_from_flags(flags) if flags else _features_from_torch()
    return CpuFeatures(
        model=model,
        avx2=found["avx2"],
        avx512=found["avx512"] and (cap == "ALL" or "512" in cap or "AVX10" in cap),
        avx512_bf16=found["avx512_bf16"] and _cap_allows_bf16(cap),
        amx=found["amx"] and (cap == "ALL" or "AMX" in cap),
        vnni=found["vnni"],
    )


def _features_from_flags(flags: frozenset[str]) -> dict[str, bool]:
    """The features that matter, from Linux's names for the CPUID bits."""
    return {
        "avx2": "avx2" in flags,
        "avx512": "avx512f" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
        "amx": "amx_tile" in flags and "amx_bf16" in flags,
        "vnni": bool({"avx512_vnni", "avx_vnni"} & flags),
    }


def _features_from_torch() -> dict[str, bool]:
    import torch.cpu

    def probe(name: str) -> bool:
        check = getattr(torch.cpu, name, None)  # private but stable since torch 2.1; absent means unknown: False
        return bool(check()) if callable(check) else False

    names = {"avx2": "avx2", "avx512": "avx512", "avx512_bf16": "avx512_bf16", "amx": "amx_tile", "vnni": "vnni"}
    return {feature: probe(f"_is_{name}_supported") for feature, name in names.items()}


def _cap_allows_bf16(cap: str) -> bool:
    """Whether a oneDNN ISA cap (AVX2, AVX512_CORE, AVX512_CORE_BF16, ..., ALL) includes bf16 instructions."""
    return cap == "ALL" or any(part in cap for part in ("BF16", "FP16", "AMX", "AVX10"))


def _proc_cpuinfo() -> tuple[str, frozenset[str]]:
    """The model name and flags of the first processor in /proc/cpuinfo (empty flags elsewhere)."""
    model, flags = "", frozenset[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = frozenset(value.split())
            if model and flags:
                break
    except OSError:
        pass
    if not model:
        import platform

        model = platform.processor() or platform.machine() or "unknown CPU"
    return model, flags


def available_backends() -> frozenset[Backend]:
    """The back ends whose runtime is installed: torch always, OpenVINO when its package is."""
    found: set[Backend] = {"torch-bf16", "torch-fp32"}
    if importlib.util.find_spec("openvino") is not None:
        found |= {"openvino-bf16", "openvino-fp32"}
    return frozenset(found)


def choose_backend(cpu: CpuFeatures, available: frozenset[Backend]) -> BackendChoice:
    """The fastest back end that keeps quality on `cpu`, among the `available` ones."""
    runtime = "openvino" if "openvino-fp32" in available else "torch"
    why_runtime = "OpenVINO is installed" if runtime == "openvino" else "OpenVINO is not installed"
    if cpu.native_bf16:
        unit = "AMX" if cpu.amx else "AVX512-BF16"
        backend: Backend = "openvino-bf16" if runtime == "openvino" else "torch-bf16"
        return BackendChoice(backend, f"auto on {cpu.model}: {unit} computes bf16 natively; {why_runtime}")
    backend = "openvino-fp32" if runtime == "openvino" else "torch-fp32"
    why = "no native bf16 (no AMX or AVX512-BF16), so fp32 is faster"
    return BackendChoice(backend, f"auto on {cpu.model}: {why}; {why_runtime}")


def resolve_backend(
    setting: str, cpu: CpuFeatures | None = None, available: frozenset[Backend] | None = None
) -> BackendChoice:
    """`auto` chosen for this machine, or the explicitly set back end if it can run here.

    Raises:
        BackendUnavailableError: an explicit back end whose runtime is not installed.
    """
    available = available_backends() if available is None else available
    if setting == AUTO:
        return choose_backend(cpu or detect_cpu(), available)
    if setting not in BACKENDS:
        raise BackendUnavailableError(f"unknown embedding back end {setting!r}; one of auto, {', '.join(BACKENDS)}")
    if setting not in available:
        raise BackendUnavailableError(f"embedding back end {setting} needs the openvino package: pip install openvino")
    return BackendChoice(setting, "set by embedding.backend")
