"""Where a track's listening time goes: the per-stage split of one worker, per network graph.

    .venv/bin/python bench/listen.py [--tracks 20] [--folder DIR] [--int8 FILE]

Library: bench/library.py's real-world mix (stereo 44.1/48 kHz MP3, Vorbis, FLAC, AAC,
Opus, 3-6 min), or the music files under --folder (read only). For each track, in this
process and on one thread, as one engine worker does it (20 windows, the default plan):
decode (core.audio), log-mel (torch), the network in each bundled graph (ONNX Runtime:
weights/<name>.onnx "full", <name>.lean.onnx "lean", the default; --int8 adds a graph
built by bench/quantize.py), and the cache writes. CPU time, not wall time, so a busy
machine still gives per-core figures; "at most N tracks/s" is cores / the sum.

bench/embed.py prints this split before its end-to-end run. Figures only mean something
with the CPU line printed above them (bench/cpu.py); bench/avx2/run.sh runs this with ONNX
Runtime's AVX2 kernels.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import cpu  # noqa: E402  (bench/cpu.py)
import library  # noqa: E402  (bench/library.py)

from musicmap_desktop.core.formats import FORMATS  # noqa: E402
from musicmap_desktop.model import registry  # noqa: E402

GRAPHS = ("full", "lean")


def find_music(folder: str) -> list[str]:
    """Every file under ``folder`` with an extension the scanner reads, sorted."""
    exts = {e.lower() for f in FORMATS for e in f.extensions}
    out = []
    for d, _, files in os.walk(folder):
        out += [os.path.join(d, f) for f in files if os.path.splitext(f)[1].lower() in exts]
    return sorted(out)


def sessions(name: str, int8: str | None = None) -> dict:
    """graph -> a one-thread ONNX Runtime session, as the engine's workers open them."""
    import onnxruntime as ort

    from musicmap_desktop.model.ort_backbone import OrtBackbone

    out = {g: OrtBackbone(name, threads=1, graph=g).session for g in GRAPHS}
    if int8:
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        out["int8"] = ort.InferenceSession(int8, so, providers=["CPUExecutionProvider"])
    return out


def stage_split(paths, name: str, work: str, int8: str | None = None) -> dict[str, float]:
    """Mean CPU seconds per track of each stage, in this process (1 thread)."""
    import torch

    from musicmap_desktop.core.audio import DecodeError
    from musicmap_desktop.core.store.db import open_db

    torch.set_num_threads(1)
    runs = sessions(name, int8)
    db = open_db(os.path.join(work, "stages.db"))
    cost = {"decode": 0.0, "log-mel": 0.0, **{f"network {g}": 0.0 for g in runs}, "cache writes": 0.0}
    n = 0
    for i, p in enumerate(paths):
        try:
            for stage, seconds in _track_stages(p, f"fp{i}", runs, db):
                cost[stage] += seconds
        except DecodeError as e:
            print(f"  skipped ({e.reason}): {p}")
            continue
        n += 1
    db.close()
    return {k: v / max(n, 1) for k, v in cost.items()}


def _track_stages(path: str, key: str, runs: dict, db):
    """(stage, CPU seconds) of one track: decode, log-mel, each network, the cache writes."""
    import torch

    from musicmap_desktop.core.audio import decode_segments
    from musicmap_desktop.core.store import vectors, windows
    from musicmap_desktop.core.store.db import transaction
    from musicmap_desktop.core.tags import read_info
    from musicmap_desktop.core.windows import plan_windows, segment_starts
    from musicmap_desktop.model.aggregate import meanmax_vector
    from musicmap_desktop.model.melspec import log_mel

    with open(path, "rb") as f:
        duration = read_info(f, path).duration
    t = time.process_time()
    segs = decode_segments(path, segment_starts(plan_windows(duration, 20)))
    yield "decode", time.process_time() - t
    t = time.process_time()
    mel = log_mel(torch.from_numpy(segs), center=False, precise=False).numpy()
    yield "log-mel", time.process_time() - t
    for g, s in runs.items():
        t = time.process_time()
        feats, tags = s.run(None, {"logmel": mel})[:2]  # then the mid-end pools
        yield f"network {g}", time.process_time() - t
    t = time.process_time()
    with transaction(db):
        w = windows.WindowFeatures(np.arange(len(mel), dtype=np.int32), feats.astype(np.float16),
                                   tags.astype(np.float16))
        windows.save_windows(db, key, "bench", "n20", w)
        windows.save_track_tags(db, key, "bench", "n20", w.taggram)
        vectors.save_vector(db, key, "bench-vector", meanmax_vector(w.features))
    yield "cache writes", time.process_time() - t


def print_split(cost: dict[str, float], cores: int) -> None:
    print(f"\nper-stage split, CPU ms per track (20 windows), 1 thread; {cores} core(s) here")
    for k, v in cost.items():
        extra = f"  ({20 / v:6.1f} windows/s per core)" if k.startswith("network") and v > 0 else ""
        print(f"   {k:22s} {v * 1000:8.1f}{extra}")
    base = cost["decode"] + cost["log-mel"] + cost["cache writes"]
    for k in (k for k in cost if k.startswith("network")):
        per = base + cost[k]
        two = f" ({2 / per:5.2f} on 2)" if cores != 2 else ""
        print(f"   => {k[8:]:5s}: {per * 1000:6.0f} CPU ms per track: at most {cores / per:5.2f} tracks/s "
              f"on {cores} cores{two}")


def library_paths(args) -> tuple[str, list[str]]:
    """(root, files): the music under --folder, or bench/library.py's in --library-dir (default:
    a folder in the temp dir, built on the first run and reused by later ones)."""
    if args.folder:
        root = os.path.abspath(args.folder)
        return root, find_music(root)
    root = args.library_dir or os.path.join(tempfile.gettempdir(), f"musicmap-benchlib-{args.tracks}")
    return root, [str(p) for p in library.build(root, args.tracks)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=20, help="generated library size (ignored with --folder)")
    ap.add_argument("--folder", help="measure the music files in this folder instead (only read)")
    ap.add_argument("--library-dir", help="build the generated library here, or reuse it")
    ap.add_argument("--model", default=registry.DEFAULT_MODEL, choices=sorted(registry.MODELS))
    ap.add_argument("--int8", metavar="FILE", help="also time this int8 graph (bench/quantize.py)")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="musicmap-listen-")
    try:
        print(cpu.describe())
        root, paths = library_paths(args)
        print(f"library: {len(paths)} files in {root}\n{library.describe(paths)}")
        print_split(stage_split(paths, args.model, work, args.int8), os.cpu_count() or 1)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
