"""Scanner benchmark: first scan and no-change rescan against a bare os.walk + os.stat.

    .venv/bin/python bench/scan.py [--files 10000]

Builds a tree of small tagged files (FLAC, WAV, MP3, Ogg, M4A mixed), then times,
in this one process: the bare walk (baseline), a first scan into an empty cache
and a rescan with nothing changed. Ratios are what to compare across machines.
Targets: no-change rescan <= 3x the bare walk; first scan >= 300 files/s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf
from mutagen import File as MutagenFile

from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.scan import scan


def base_files(workdir: str) -> list[str]:
    """One short tone per format; ffmpeg ones only when ffmpeg exists."""
    sr = 22050
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(sr // 2) / sr)).astype(np.float32)
    wav = os.path.join(workdir, "base.wav")
    sf.write(wav, tone, sr)
    flac = os.path.join(workdir, "base.flac")
    sf.write(flac, tone, sr)
    out = [flac]
    if shutil.which("ffmpeg"):
        for ext in ("mp3", "ogg", "m4a"):
            dst = os.path.join(workdir, "base." + ext)
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", wav, dst], check=True)
            out.append(dst)
    return out


def build_tree(root: str, n: int) -> None:
    bases = base_files(tempfile.mkdtemp())
    for i in range(n):
        base = bases[i % len(bases)]
        folder = os.path.join(root, f"Artist {i // 200:03d}", f"Album {i // 10:05d}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{i % 10:02d} Track {i}{os.path.splitext(base)[1]}")
        shutil.copyfile(base, path)
        tags = MutagenFile(path, easy=True)
        if tags.tags is None:
            tags.add_tags()
        tags["title"] = f"Track {i}"
        tags["artist"] = f"Artist {i // 200}"
        tags["album"] = f"Album {i // 10}"
        tags.save()


def bare_walk(root: str) -> int:
    n = 0
    for folder, _, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))
            n += 1
    return n


def timed(fn, repeat=1):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def run_scan(root: str, db) -> object:
    return list(scan(root, db))[-1].result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="musicmap-bench-")
    try:
        root = os.path.join(work, "music")
        t_build, _ = timed(lambda: build_tree(root, args.files))
        print(f"built {args.files} tagged files in {t_build:.1f} s")
        t_walk, n = timed(lambda: bare_walk(root), repeat=5)
        db = open_db(os.path.join(work, "cache.db"))
        t_first, s1 = timed(lambda: run_scan(root, db))
        assert s1.new == n and s1.failed == 0, s1
        t_rescan, s2 = timed(lambda: run_scan(root, db), repeat=5)
        assert s2.unchanged == n, s2
        rows = [
            ("bare os.walk + os.stat", t_walk, 1.0),
            ("first scan (tags + fingerprint + DB)", t_first, t_first / t_walk),
            ("no-change rescan", t_rescan, t_rescan / t_walk),
        ]
        print(f"\n{n} files\n{'':40} {'seconds':>8} {'files/s':>9} {'× walk':>8}")
        for name, t, ratio in rows:
            print(f"{name:40} {t:8.3f} {n / t:9.0f} {ratio:8.2f}")
        ok_rescan = t_rescan / t_walk <= 3.0
        ok_first = n / t_first >= 300
        print(f"\nno-change rescan ≤ 3× walk: {'PASS' if ok_rescan else 'FAIL'}; "
              f"first scan ≥ 300 files/s: {'PASS' if ok_first else 'FAIL'}")
        return 0 if ok_rescan and ok_first else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
