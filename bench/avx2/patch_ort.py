"""Copy the installed onnxruntime package to DEST and turn every `cpuid` in its native
libraries into `ud2` (0F A2 -> 0F 0B), so libcpuid_mask.so (LD_PRELOAD) answers CPUID
instead, with AVX-512 and VNNI hidden. Only instructions objdump decodes as cpuid are
touched (their file offsets come from the ELF LOAD segments).

    python bench/avx2/patch_ort.py DEST      # then: PYTHONPATH=DEST LD_PRELOAD=.../libcpuid_mask.so
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys


def patch(path: str) -> int:
    ph = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout
    loads = [tuple(int(x, 16) for x in m.groups()) for m in
             re.finditer(r"LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)", ph)]
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], capture_output=True, text=True,
                         check=True).stdout
    addrs = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+cpuid\s*$", dis, re.M)]
    data = bytearray(open(path, "rb").read())
    for va in addrs:
        off, vaddr, _ = next(seg for seg in loads if seg[1] <= va < seg[1] + seg[2])
        fo = va - vaddr + off
        if data[fo:fo + 2] != b"\x0f\xa2":
            raise SystemExit(f"{path}: no cpuid at {va:#x}")
        data[fo:fo + 2] = b"\x0f\x0b"
    with open(path, "wb") as f:
        f.write(data)
    return len(addrs)


def main() -> int:
    import onnxruntime

    dest = os.path.abspath(sys.argv[1])
    src = os.path.dirname(onnxruntime.__file__)
    target = os.path.join(dest, "onnxruntime")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(src, target)
    for lib in glob.glob(os.path.join(target, "capi", "*.so*")):
        n = patch(lib)
        print(f"{os.path.basename(lib)}: {n} cpuid instructions patched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
