"""What the benchmarks ran on: printed with every result (absolute times mean little without it)."""
from __future__ import annotations

import os


def cpu() -> str:
    """CPU model, count and the vector extensions numpy's kernels care about."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return f"{os.cpu_count()} CPUs"
    model = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")), "?")
    feats = [f for f in ("avx2", "avx512f") if f" {f} " in text]
    return f"{model}, {os.cpu_count()} CPUs, {' '.join(feats) or 'no AVX2'}"
