#!/bin/sh
# Run a command with ONNX Runtime's kernels choosing as on an AVX2-only CPU (no AVX-512,
# no VNNI): bench/avx2/run.sh .venv/bin/python bench/embed.py
# Needs gcc, objdump, readelf. Only the patched onnxruntime copy sees the masked CPUID;
# torch, numpy, FFmpeg and soxr still use AVX-512 where they have it.
set -e
here=$(cd "$(dirname "$0")" && pwd)
cache=${MUSICMAP_AVX2_CACHE:-${TMPDIR:-/tmp}/musicmap-avx2}
py=${PYTHON:-"$here/../../.venv/bin/python"}
mkdir -p "$cache"
if [ ! -f "$cache/libcpuid_mask.so" ] || [ "$here/cpuid_mask.c" -nt "$cache/libcpuid_mask.so" ]; then
    gcc -O2 -shared -fPIC -o "$cache/libcpuid_mask.so" "$here/cpuid_mask.c"
fi
if [ ! -d "$cache/site/onnxruntime" ]; then
    "$py" "$here/patch_ort.py" "$cache/site"
fi
export PYTHONPATH="$cache/site${PYTHONPATH:+:$PYTHONPATH}"
export LD_PRELOAD="$cache/libcpuid_mask.so${LD_PRELOAD:+:$LD_PRELOAD}"
export MUSICMAP_ISA_MASK=avx2  # bench/cpu.py says so
exec "$@"
