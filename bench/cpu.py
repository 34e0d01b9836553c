"""What CPU a benchmark ran on: model, cores, the vector features that decide its speed, load.

    .venv/bin/python bench/cpu.py

ONNX Runtime's kernels (MLAS) pick their code path from CPUID at load time: AVX2+FMA, or
AVX-512 (F+BW+DQ+VL), and for int8 the VNNI dot-product instructions (AVX512-VNNI or
AVX-VNNI), which do in one instruction what AVX2 needs three for. The same model can
run 2x apart on machines that differ only in these, so every figure is printed with them.
Under bench/avx2/run.sh (MUSICMAP_ISA_MASK=avx2) ONNX Runtime sees no AVX-512 or VNNI, and
the kernels line says so.
"""
from __future__ import annotations

import os
import platform

# /proc/cpuinfo flag -> what to call it
FEATURES = (("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512F"), ("avx512bw", "AVX-512BW"),
            ("avx512_vnni", "AVX512-VNNI"), ("avx_vnni", "AVX-VNNI"), ("avx512_bf16", "AVX512-BF16"),
            ("amx_int8", "AMX-INT8"))


def _cpuinfo() -> tuple[str, set[str]]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return platform.processor() or platform.machine(), set()
    model, flags, ident = "", set(), {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and not model:
            model = value.strip()
        elif key.strip() in ("cpu family", "model") and key.strip() not in ident:
            ident[key.strip()] = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    if ident:  # "AMD EPYC" alone does not tell Zen 2 from Zen 4
        model += f" (family {ident.get('cpu family', '?')}, model {ident.get('model', '?')})"
    return model or platform.machine(), flags


def features() -> dict[str, bool]:
    _, flags = _cpuinfo()
    return {name: flag in flags for flag, name in FEATURES}


def int8_path(feat: dict[str, bool]) -> str:
    """The int8 GEMM kernel family MLAS chooses on these features (its platform.cpp order)."""
    if feat.get("AVX-512BW") and feat.get("AVX512-VNNI"):
        return "AVX512-VNNI"
    if feat.get("AVX-VNNI"):
        return "AVX-VNNI"
    if feat.get("AVX-512BW"):
        return "AVX-512 core (no VNNI)"
    return "AVX2 (vpmaddubsw, no VNNI)" if feat.get("AVX2") else "SSE"


MASKED = ("AVX-512F", "AVX-512BW", "AVX512-VNNI", "AVX-VNNI", "AVX512-BF16", "AMX-INT8")


def describe() -> str:
    model, _ = _cpuinfo()
    feat = features()
    have = [k for k, v in feat.items() if v] or ["(flags unknown)"]
    masked = os.environ.get("MUSICMAP_ISA_MASK") == "avx2"
    seen = {k: v and not (masked and k in MASKED) for k, v in feat.items()}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [f"CPU: {model}, {os.cpu_count()} logical cores; load average {load}",
             f"     features: {' '.join(have)}; ONNX Runtime int8 kernels: {int8_path(seen)}"]
    if masked:
        lines.append("     masked (bench/avx2): ONNX Runtime sees no AVX-512/VNNI and runs its AVX2 kernels")
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe())
